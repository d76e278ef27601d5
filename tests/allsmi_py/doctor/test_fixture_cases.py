"""Each failure `allsmi doctor` knows, on its own fixture root, with the real backends' needs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from allsmi_py.doctor.container import detect
from allsmi_py.doctor.diagnose import exit_code
from tests.allsmi_py.doctor.cases import copy_case, levels, probe_for, report


def _only(result_findings: list[tuple[str, str, str, str]], check: str) -> tuple[str, str, str]:
    rows = [(level, message, fix) for level, name, message, fix in result_findings if name == check]
    assert len(rows) == 1, rows
    return rows[0]


def _rows(name: str, backend: str, tmp_path: Path) -> list[tuple[str, str, str, str]]:
    result = report(backend, probe_for(copy_case(name, tmp_path)))
    return [(f.level, f.check, f.message, f.fix) for f in result.findings]


def test_healthy_root_passes_every_check_of_the_backends_whose_hardware_is_there(
        tmp_path: Path) -> None:
    probe = probe_for(copy_case("healthy", tmp_path))
    nvidia, gaudi, amd = (report(n, probe) for n in ("nvidia", "gaudi", "amd"))
    assert levels(nvidia) == {"hardware": ["OK"], "kernel module": ["OK"], "device files": ["OK"],
                              "library": ["OK"], "driver version": ["OK"],
                              "python package": ["OK"]}
    assert {f.level for f in gaudi.findings} == {"OK"}
    assert (nvidia.verdict, gaudi.verdict, amd.verdict) == ("runs", "runs", "no_hardware")
    assert exit_code([nvidia, gaudi, amd]) == 0
    messages = " | ".join(f.message for f in nvidia.findings + gaudi.findings)
    assert "NVIDIA GPU: 0000:01:00.0" in messages  # the GPU, not its audio function
    assert "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1 550.54.14" in messages
    assert "kernel driver and libnvidia-ml.so.1 are both 550.54.14" in messages
    assert "hl-smi 1.17.0 at /usr/bin/hl-smi" in messages


def test_no_library(tmp_path: Path) -> None:
    rows = _rows("no_library", "nvidia", tmp_path)
    level, message, fix = _only(rows, "library")
    assert (level, message.split()[0]) == ("FAIL", "libnvidia-ml.so.1")
    assert "install the NVIDIA driver" in fix
    assert not [r for r in rows if r[1] == "driver version"]  # nothing to compare with


def test_device_node_missing(tmp_path: Path) -> None:
    level, message, fix = _only(_rows("device_missing", "nvidia", tmp_path), "device files")
    assert (level, message) == ("FAIL", "no /dev/nvidia[0-9]*")
    assert "modprobe nvidia" in fix


def test_device_node_not_readable_by_the_user(tmp_path: Path) -> None:
    level, message, fix = _only(_rows("device_not_readable", "nvidia", tmp_path),
                                "device permissions")
    assert level == "FAIL"
    assert "/dev/nvidia0 is 0600" in message and "/dev/nvidiactl" not in message
    assert "usermod -aG" in fix


def test_device_node_readable_by_its_group(tmp_path: Path) -> None:
    root = copy_case("device_not_readable", tmp_path)
    (root / "dev" / "nvidia0").chmod(0o660)
    gid = (root / "dev" / "nvidia0").stat().st_gid
    member = replace(probe_for(root), gids=frozenset({gid}))
    assert levels(report("nvidia", member))["device files"] == ["OK"]


def test_tool_missing(tmp_path: Path) -> None:
    result = report("gaudi", probe_for(copy_case("tool_missing", tmp_path)))
    level, message, fix = _only([(f.level, f.check, f.message, f.fix) for f in result.findings],
                                "tool")
    assert (level, message) == ("FAIL", "hl-smi not on PATH")
    assert "Intel Gaudi software" in fix
    assert result.verdict == "blocked" and exit_code([result]) == 1


def test_tool_too_old(tmp_path: Path) -> None:
    level, message, fix = _only(_rows("tool_too_old", "furiosa", tmp_path), "tool version")
    assert level == "FAIL"
    assert message.startswith("furiosa-smi 2025.1.0 is older than 2025.3.1")
    assert fix == "upgrade furiosa-smi to 2025.3.1 or newer"


def test_tool_version_unparsable_warns_but_does_not_block(tmp_path: Path) -> None:
    result = report("gaudi", probe_for(copy_case("tool_version_unparsable", tmp_path)))
    rows = [(f.level, f.check, f.message, f.fix) for f in result.findings]
    level, message, _ = _only(rows, "tool version")
    assert level == "WARN"
    assert "version unparsable ('hl-smi: unrecognized option --version')" in message
    assert result.verdict == "runs"


def test_module_not_loaded(tmp_path: Path) -> None:
    level, message, fix = _only(_rows("module_not_loaded", "nvidia", tmp_path), "kernel module")
    assert (level, message, fix) == (
        "FAIL", "nvidia not loaded", "install the NVIDIA driver and load it: modprobe nvidia")


def test_driver_and_library_versions_differ(tmp_path: Path) -> None:
    level, message, fix = _only(_rows("driver_mismatch", "nvidia", tmp_path), "driver version")
    assert (level, message) == ("FAIL", "kernel driver 550.54.14 but libnvidia-ml.so.1 550.90.07")
    assert "reboot" in fix


def test_container_without_the_device_mounted(tmp_path: Path) -> None:
    probe = probe_for(copy_case("container_without_device", tmp_path))
    container = detect(probe)
    assert (container.inside, container.evidence) == (True, "/.dockerenv")
    rows = [(f.level, f.check, f.message, f.fix) for f in report("nvidia", probe).findings]
    level, message, fix = _only(rows, "device files")
    assert level == "FAIL"
    assert message == "running in a container without /dev/nvidiactl and /dev/nvidia[0-9]* mounted"
    assert "--gpus all" in fix


def test_cgroup_v1_rules_deny_the_device(tmp_path: Path) -> None:
    probe = probe_for(copy_case("cgroup_deny", tmp_path))
    assert detect(probe).cgroup_version == 1
    rows = [(f.level, f.check, f.message, f.fix) for f in report("nvidia", probe).findings]
    level, message, fix = _only(rows, "cgroup devices")
    assert level == "FAIL"
    assert message == "cgroup v1 devices.list does not allow c 195:* (/dev/nvidiactl, /dev/nvidia0)"
    assert "--device-cgroup-rule 'c 195:* rwm'" in fix


def test_cgroup_v1_rule_that_allows_the_major(tmp_path: Path) -> None:
    root = copy_case("cgroup_deny", tmp_path)
    rules = root / "sys" / "fs" / "cgroup" / "devices" / "devices.list"
    rules.write_text(rules.read_text() + "c 195:* rw\n")
    assert levels(report("nvidia", probe_for(root)))["cgroup devices"] == ["OK"]


def test_cgroup_v2_says_what_it_cannot_tell(tmp_path: Path) -> None:
    root = copy_case("cgroup_deny", tmp_path)
    (root / "sys" / "fs" / "cgroup" / "devices" / "devices.list").unlink()
    (root / "sys" / "fs" / "cgroup" / "cgroup.controllers").write_text("cpu memory pids\n")
    probe = probe_for(root)
    assert detect(probe).cgroup_version == 2
    rows = [(f.level, f.check, f.message, f.fix) for f in report("nvidia", probe).findings]
    level, message, _ = _only(rows, "cgroup devices")
    assert level == "OK" and "BPF program that cannot be read" in message


def test_a_root_without_any_hardware_has_nothing_to_fix(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    probe = probe_for(tmp_path / "empty")
    results = [report(name, probe) for name in ("nvidia", "amd", "gaudi", "tpu", "jetson")]
    assert {r.verdict for r in results} == {"no_hardware"}
    assert exit_code(results) == 0
