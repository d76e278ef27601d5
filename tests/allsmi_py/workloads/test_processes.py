"""processes.py: pids resolved under a fixture /proc, cached by (pid, start time)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from allsmi_py.model_workload import WorkloadReading
from allsmi_py.workloads.processes import ProcessWorkloads

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cgroup"
DOCKER_ID = "3f1c9a7be2d04b8c9e5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f70819"
CRI_ID = "a9b8c7d6e5f40312a9b8c7d6e5f40312a9b8c7d6e5f40312a9b8c7d6e5f40312"
POD_UID = "6b2e3f1a-8c4d-4e5f-9a0b-1c2d3e4f5a6b"
DOCKER = WorkloadReading("docker", DOCKER_ID)


def _process(root: Path, pid: int, fixture: str | None = None, text: str | None = None,
             start_ticks: int = 5000) -> Path:
    folder = root / "proc" / str(pid)
    folder.mkdir(parents=True, exist_ok=True)
    cgroup = text if text is not None else (FIXTURES / f"{fixture}.cgroup").read_text()
    (folder / "cgroup").write_text(cgroup)
    fields = ["S"] + ["0"] * 18 + [str(start_ticks)] + ["0"] * 10
    (folder / "stat").write_text(f"{pid} (python3 (x) y) " + " ".join(fields) + "\n")
    return folder


def test_resolves_each_runtime(tmp_path: Path) -> None:
    _process(tmp_path, 10, "docker/v2_systemd")
    _process(tmp_path, 11, "crio/v2_systemd_burstable")
    _process(tmp_path, 12, "none/host_service")
    found = ProcessWorkloads(str(tmp_path))
    assert found.workload(10, 1.0) == DOCKER
    assert found.workload(11, 1.0) == WorkloadReading("cri-o", CRI_ID, pod_uid=POD_UID)
    assert found.workload(12, 1.0) is None


def test_an_unchanged_process_is_read_once(tmp_path: Path) -> None:
    folder = _process(tmp_path, 10, "docker/v2_systemd")
    found = ProcessWorkloads(str(tmp_path))
    assert found.workload(10, 1.0) == DOCKER
    (folder / "cgroup").write_text("0::/system.slice/sshd.service\n")
    assert found.workload(10, 1.0) == DOCKER  # cached
    assert found.workload(10, 2.0) is None  # a new process on the same pid


def test_start_time_from_stat_when_the_backend_gives_none(tmp_path: Path) -> None:
    folder = _process(tmp_path, 10, "docker/v2_systemd", start_ticks=100)
    found = ProcessWorkloads(str(tmp_path))
    assert found.workload(10) == DOCKER
    _process(tmp_path, 10, text="0::/system.slice/sshd.service\n", start_ticks=100)
    assert found.workload(10) == DOCKER  # same start: cached
    _process(tmp_path, 10, text="0::/system.slice/sshd.service\n", start_ticks=200)
    assert found.workload(10) is None
    assert folder.exists()


def test_forget_unseen_drops_exited_processes(tmp_path: Path) -> None:
    _process(tmp_path, 10, "docker/v2_systemd")
    _process(tmp_path, 11, "docker/v2_systemd")
    found = ProcessWorkloads(str(tmp_path))
    found.workload(10, 1.0)
    found.workload(11, 1.0)
    found.forget_unseen()
    found.workload(10, 1.0)
    found.forget_unseen()
    (tmp_path / "proc/10/cgroup").write_text("0::/\n")
    (tmp_path / "proc/11/cgroup").write_text("0::/\n")
    assert found.workload(10, 1.0) == DOCKER  # still cached: it was seen
    assert found.workload(11, 1.0) is None  # forgotten, read again


def test_cache_cap_still_answers(tmp_path: Path) -> None:
    for pid in range(10, 15):
        _process(tmp_path, pid, "docker/v2_systemd")
    found = ProcessWorkloads(str(tmp_path), max_cached=2)
    assert [found.workload(pid, 1.0) for pid in range(10, 15)] == [DOCKER] * 5


# -- hostile input -------------------------------------------------------------------------

@pytest.mark.parametrize("pid", [0, -1, 4_194_305, True])
def test_impossible_pids(tmp_path: Path, pid: int) -> None:
    assert ProcessWorkloads(str(tmp_path)).workload(pid, 1.0) is None


def test_missing_process_and_missing_proc(tmp_path: Path) -> None:
    assert ProcessWorkloads(str(tmp_path)).workload(10) is None
    assert ProcessWorkloads(str(tmp_path / "nowhere")).workload(10, 1.0) is None


def test_a_pid_whose_cgroup_vanishes(tmp_path: Path) -> None:
    folder = _process(tmp_path, 10, "docker/v2_systemd")
    (folder / "cgroup").unlink()
    assert ProcessWorkloads(str(tmp_path)).workload(10, 1.0) is None


def test_unreadable_cgroup(tmp_path: Path) -> None:
    folder = _process(tmp_path, 10, "docker/v2_systemd")
    (folder / "cgroup").unlink()
    (folder / "cgroup").mkdir()  # EISDIR on read, as unreadable as it gets for root too
    assert ProcessWorkloads(str(tmp_path)).workload(10, 1.0) is None


def test_cgroup_that_is_a_symlink_is_not_followed(tmp_path: Path) -> None:
    folder = _process(tmp_path, 10, "docker/v2_systemd")
    (folder / "cgroup").unlink()
    os.symlink(FIXTURES / "docker/v2_systemd.cgroup", folder / "cgroup")
    assert ProcessWorkloads(str(tmp_path)).workload(10, 1.0) is None


def test_cgroup_that_is_a_fifo_does_not_block(tmp_path: Path) -> None:
    folder = _process(tmp_path, 10, "docker/v2_systemd")
    (folder / "cgroup").unlink()
    os.mkfifo(folder / "cgroup")
    assert ProcessWorkloads(str(tmp_path)).workload(10, 1.0) is None


def test_huge_and_binary_cgroup_files(tmp_path: Path) -> None:
    folder = _process(tmp_path, 10, "docker/v2_systemd")
    (folder / "cgroup").write_bytes(bytes(range(256)) * 100_000)
    folder = _process(tmp_path, 11, "docker/v2_systemd")
    (folder / "cgroup").write_bytes(b"0::/system.slice/docker-" + DOCKER_ID.encode() +
                                    b".scope\n" + b"\xff" * 5_000_000)
    found = ProcessWorkloads(str(tmp_path))
    assert found.workload(10, 1.0) is None
    assert found.workload(11, 1.0) == DOCKER  # the first line, read within the cap


def test_a_hundred_thousand_lines(tmp_path: Path) -> None:
    text = "".join(f"{n}:cpu:/user.slice\n" for n in range(100_000))
    _process(tmp_path, 10, text=text + f"0::/docker/{DOCKER_ID}\n")
    assert ProcessWorkloads(str(tmp_path)).workload(10, 1.0) is None


def test_garbled_stat(tmp_path: Path) -> None:
    folder = _process(tmp_path, 10, "docker/v2_systemd")
    for garbage in (b"", b"10 (x", b"\x00" * 5000, b"10 (x) S 1 2 3"):
        (folder / "stat").write_bytes(garbage)
        found = ProcessWorkloads(str(tmp_path))
        assert found.workload(10) == DOCKER  # no start time: keyed by the pid alone


def test_a_start_time_that_is_no_number_is_read_from_stat(tmp_path: Path) -> None:
    _process(tmp_path, 10, "docker/v2_systemd")
    found = ProcessWorkloads(str(tmp_path))
    assert found.workload(10, ["not", "a", "time"]) == DOCKER  # type: ignore[arg-type]
