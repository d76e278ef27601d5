"""The doctor reads files and runs tools under a root it does not trust: every read is capped,
every message one printable line, a hanging or flooding tool a WARN, never a hang or a crash."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from allsmi_py.doctor import checks
from allsmi_py.doctor.container import cgroup_rules, detect, parse_rules
from allsmi_py.doctor.probe import MAX_GLOB_MATCHES, MESSAGE_CHARS, Probe
from allsmi_py.needs import DeviceNodes, KernelModule, Library, PciDevice, Tool
from backends._common.version import version_output
from tests.allsmi_py.doctor.cases import copy_case, probe_for


def _tool(root: Path, script: str, **kwargs: str) -> Tool:
    tool = root / "usr" / "bin" / "vendor-smi"
    tool.parent.mkdir(parents=True, exist_ok=True)
    tool.write_text("#!/bin/sh\n" + script)
    tool.chmod(0o755)
    return Tool(("vendor-smi",), ("--version",), version_output, fix="install it", **kwargs)


def _printable(text: str) -> bool:
    return text.isprintable() and "\n" not in text


def test_a_tool_flooding_stdout_is_cut_off_and_warned(tmp_path: Path) -> None:
    need = _tool(tmp_path, "head -c 4000000 /dev/zero | tr '\\0' 'x'\n")
    found = checks.tool(need, probe_for(tmp_path))
    assert found.level == "WARN" and found.check == "tool version"
    assert "did not answer" in found.message and len(found.message) < 400


def test_a_hanging_tool_is_killed_at_the_timeout(tmp_path: Path) -> None:
    need = _tool(tmp_path, "sleep 60 &\nsleep 60\n")
    found = checks.tool(need, replace(probe_for(tmp_path), tool_timeout_s=0.3))
    assert found.level == "WARN" and "did not answer within 0.3 s" in found.message


def test_binary_and_escape_sequences_never_reach_the_line(tmp_path: Path) -> None:
    need = _tool(tmp_path, "printf '\\033[31m\\377\\376 build\\r\\n\\007'\n")
    found = checks.tool(need, probe_for(tmp_path))
    assert found.level == "WARN" and _printable(found.message)


def test_an_absurd_version_is_capped_and_compared_without_blowing_up(tmp_path: Path) -> None:
    digits = "9" * 5000
    need = _tool(tmp_path, f"echo 'vendor-smi {digits}.{digits}'\n", min_version="1.0")
    found = checks.tool(need, probe_for(tmp_path))
    assert found.level == "OK" and len(found.message) <= MESSAGE_CHARS + 80
    assert checks.version_tuple("1." * 10000) == (1,) * 8


def test_huge_and_binary_proc_files_are_read_capped(tmp_path: Path) -> None:
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "modules").write_bytes(os.urandom(1024) + b"\n" * 10 + b"x" * 3_000_000)
    device = tmp_path / "sys" / "bus" / "pci" / "devices" / "0000:01:00.0"
    device.mkdir(parents=True)
    (device / "vendor").write_bytes(b"\xff\xfe" * 100_000)
    (device / "class").write_bytes(b"\x00" * 100_000)
    probe = probe_for(tmp_path)
    assert checks.kernel_module(KernelModule(("nvidia",), "load it"), probe).level == "FAIL"
    assert checks.hardware_seen(PciDevice("0x10de", "GPU"), probe) == ""
    assert len(probe.read_text("/proc/modules") or "") <= 64 * 1024


def test_a_symlink_loop_is_not_a_library_and_does_not_hang(tmp_path: Path) -> None:
    lib = tmp_path / "usr" / "lib"
    lib.mkdir(parents=True)
    os.symlink("libx.so.2", lib / "libx.so.1")
    os.symlink("libx.so.1", lib / "libx.so.2")
    os.symlink("/../../../../etc/passwd", lib / "liby.so.1")  # stays under the root
    probe = probe_for(tmp_path)
    assert checks.library(Library("libx.so.1", "install x", dirs=("/usr/lib",)), probe).level \
        == "FAIL"
    assert checks.library(Library("liby.so.1", "install y", dirs=("/usr/lib",)), probe).level \
        == "FAIL"


def test_thousands_of_device_nodes_give_a_short_line(tmp_path: Path) -> None:
    (tmp_path / "dev").mkdir()
    for index in range(MAX_GLOB_MATCHES + 50):
        (tmp_path / "dev" / f"rbln{index}").touch()
        (tmp_path / "dev" / f"rbln{index}").chmod(0o666)
    need = DeviceNodes(("/dev/rbln[0-9]*",), fix="load it", container_fix="pass it")
    probe = probe_for(tmp_path)
    assert len(probe.glob("/dev/rbln*")) == MAX_GLOB_MATCHES
    found = checks.device_nodes(need, probe, in_container=False)
    assert found[0].level == "OK" and len(found[0].message) < 200


def test_garbage_cgroup_rules_and_group_names(tmp_path: Path) -> None:
    root = copy_case("cgroup_deny", tmp_path)
    rules = root / "sys" / "fs" / "cgroup" / "devices" / "devices.list"
    rules.write_bytes(b"\x00\xff junk\nc :\nc 195 rwm\na\n" * 20_000)
    assert parse_rules(rules.read_text(errors="replace")) == []
    (root / "etc").mkdir()
    (root / "etc" / "group").write_text(f"\x1b[2Jvideo\x07:x:{os.getgid()}:\n")
    (root / "dev" / "nvidia0").chmod(0o600)
    probe = probe_for(root)
    need = DeviceNodes(("/dev/nvidia0",), fix="f", container_fix="c",
                       proc_devices_name="nvidia-frontend")
    denied = checks.device_nodes(need, probe, in_container=True)
    assert denied[0].level == "FAIL" and _printable(denied[0].message + denied[0].fix)
    ruled = cgroup_rules(detect(probe), need, probe)
    assert ruled is not None and ruled.level == "FAIL"


def test_a_root_with_odd_characters_in_its_name(tmp_path: Path) -> None:
    odd = tmp_path / "we[i]rd*root?"
    root = copy_case("healthy", odd)
    probe = Probe(root=str(root), uid=os.getuid() + 1, gids=frozenset(), path_dirs=("/usr/bin",))
    assert checks.hardware_seen(PciDevice("0x10de", "GPU", classes=("0x03",)), probe) \
        == "0000:01:00.0"


def test_absolute_links_in_the_root_are_followed_inside_it(tmp_path: Path) -> None:
    root = tmp_path / "image"
    (root / "usr" / "lib").mkdir(parents=True)
    os.symlink("/dev", root / "devlink")  # the host's /dev would have files; the image's has none
    os.symlink("/etc/hostname", root / "usr" / "lib" / "libz.so.1")
    probe = probe_for(root)
    assert probe.glob("/devlink/*") == []
    assert probe.path("/devlink/null") == str(root / "dev" / "null")
    assert probe.path("/usr/lib/../../../../etc") == str(root / "etc")
    assert checks.library(Library("libz.so.1", "install z", dirs=("/usr/lib",)), probe).level \
        == "FAIL"
    (root / "dev").mkdir()
    os.symlink("/etc/hostname", root / "dev" / "rbln0")
    need = DeviceNodes(("/dev/rbln[0-9]*",), fix="load it", container_fix="pass it")
    found = checks.device_nodes(need, probe, in_container=False)
    assert found[0].level == "FAIL" and "/dev/rbln0 cannot be read" in found[0].message
