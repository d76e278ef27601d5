"""kubelet_names.py: names from a kubelet log tree built in a temporary root."""

from __future__ import annotations

import os
from pathlib import Path

from allsmi_py.model_workload import WorkloadReading
from allsmi_py.workloads.kubelet_names import (
    KubeletContainer,
    KubeletNames,
    KubeletPod,
    parse_container_log_name,
    parse_pod_dir_name,
)

CID = "a9b8c7d6e5f40312a9b8c7d6e5f40312a9b8c7d6e5f40312a9b8c7d6e5f40312"
OTHER = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
UID = "6b2e3f1a-8c4d-4e5f-9a0b-1c2d3e4f5a6b"
POD_ONLY_UID = "11111111-2222-3333-4444-555555555555"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _tree(root: Path) -> None:
    pods = root / "var/log/pods"
    containers = root / "var/log/containers"
    pods.mkdir(parents=True)
    containers.mkdir(parents=True)
    pod_dir = pods / f"ml-team_trainer-7f9c-abcde_{UID}"
    (pod_dir / "pytorch").mkdir(parents=True)
    (pod_dir / "pytorch" / "0.log").write_text("")
    (pods / f"default_lonely_{POD_ONLY_UID}").mkdir()
    os.symlink(pod_dir / "pytorch" / "0.log",
               containers / f"trainer-7f9c-abcde_ml-team_pytorch-{CID}.log")


def test_parse_container_log_name() -> None:
    assert parse_container_log_name(f"web-0_prod_nginx-{CID}.log") == (
        CID, KubeletContainer("web-0", "prod", "nginx"))
    assert parse_container_log_name(f"web-0_prod_nginx-{CID[:63]}.log") is None
    assert parse_container_log_name(f"web_0_prod_nginx-{CID}.log") is None
    assert parse_container_log_name(f"Web-0_prod_nginx-{CID}.log") is None
    assert parse_container_log_name(f"-bad_prod_nginx-{CID}.log") is None
    assert parse_container_log_name("notes.txt") is None


def test_parse_pod_dir_name() -> None:
    assert parse_pod_dir_name(f"prod_web-0_{UID}") == (UID, KubeletPod("web-0", "prod"))
    assert parse_pod_dir_name(f"prod_web-0_{UID[:-1]}") is None
    assert parse_pod_dir_name(f"prod_web_0_{UID}") is None
    assert parse_pod_dir_name(f"PROD_web-0_{UID}") is None


def test_lookups_and_fill(tmp_path: Path) -> None:
    _tree(tmp_path)
    names = KubeletNames(str(tmp_path))
    assert names.container(CID) == KubeletContainer("trainer-7f9c-abcde", "ml-team", "pytorch")
    assert names.pod(UID) == KubeletPod("trainer-7f9c-abcde", "ml-team")
    assert names.fill(WorkloadReading("containerd", CID, pod_uid=UID)) == WorkloadReading(
        "containerd", CID, "pytorch", UID, "trainer-7f9c-abcde", "ml-team")
    # Only a pod folder: the pod's names, no container name.
    assert names.fill(WorkloadReading("containerd", OTHER, pod_uid=POD_ONLY_UID)) == (
        WorkloadReading("containerd", OTHER, None, POD_ONLY_UID, "lonely", "default"))


def test_fill_keeps_names_already_known(tmp_path: Path) -> None:
    _tree(tmp_path)
    names = KubeletNames(str(tmp_path))
    known = WorkloadReading("docker", CID, container="from-api")
    assert names.fill(known).container == "from-api"
    assert names.fill(known).pod == "trainer-7f9c-abcde"
    unknown = WorkloadReading("docker", OTHER)
    assert names.fill(unknown) is unknown


def test_no_log_folders_no_names(tmp_path: Path) -> None:
    names = KubeletNames(str(tmp_path))
    workload = WorkloadReading("containerd", CID, pod_uid=UID)
    assert names.fill(workload) is workload


def test_rescans_at_most_every_interval(tmp_path: Path) -> None:
    clock = Clock()
    names = KubeletNames(str(tmp_path), rescan_s=10.0, clock=clock)
    assert names.container(CID) is None
    _tree(tmp_path)
    clock.now += 9.9
    assert names.container(CID) is None  # a miss does not rescan before the interval
    clock.now += 0.1
    assert names.container(CID) is not None


def test_a_pod_that_left_is_forgotten(tmp_path: Path) -> None:
    _tree(tmp_path)
    clock = Clock()
    names = KubeletNames(str(tmp_path), clock=clock)
    assert names.pod(POD_ONLY_UID) is not None
    (tmp_path / f"var/log/pods/default_lonely_{POD_ONLY_UID}").rmdir()
    clock.now += 10.0
    assert names.pod(POD_ONLY_UID) is None


# -- hostile input -------------------------------------------------------------------------

def test_entry_cap(tmp_path: Path) -> None:
    containers = tmp_path / "var/log/containers"
    containers.mkdir(parents=True)
    for n in range(50):
        (containers / f"p{n}_ns_c-{n:064x}.log").write_text("")
    names = KubeletNames(str(tmp_path), max_entries=20)
    found = sum(names.container(f"{n:064x}") is not None for n in range(50))
    assert found == 20


def test_symlink_loop_and_dangling_links(tmp_path: Path) -> None:
    _tree(tmp_path)
    containers = tmp_path / "var/log/containers"
    loop_a = containers / f"a-0_ns_c-{OTHER}.log"
    loop_b = containers / "b.log"
    os.symlink(loop_b, loop_a)
    os.symlink(loop_a, loop_b)
    os.symlink(tmp_path / "missing", containers / f"gone-0_ns_c-{'f' * 64}.log")
    names = KubeletNames(str(tmp_path))
    # Only names are read: the looping and dangling links still name their containers.
    assert names.container(OTHER) == KubeletContainer("a-0", "ns", "c")
    assert names.container("f" * 64) == KubeletContainer("gone-0", "ns", "c")
    assert names.container(CID) is not None


def test_log_folder_is_a_file_or_a_loop(tmp_path: Path) -> None:
    (tmp_path / "var/log").mkdir(parents=True)
    (tmp_path / "var/log/containers").write_text("not a folder")
    os.symlink(tmp_path / "var/log/pods", tmp_path / "var/log/pods")
    names = KubeletNames(str(tmp_path))
    assert names.container(CID) is None
    assert names.pod(UID) is None


def test_garbage_names(tmp_path: Path) -> None:
    containers = tmp_path / "var/log/containers"
    containers.mkdir(parents=True)
    for name in ("\udcff\udcfe.log", "a" * 255, f"{'x' * 150}_ns_c-{CID}.log", "_ _ _"):
        try:
            (containers / name).write_text("")
        except (OSError, UnicodeEncodeError):
            continue
    names = KubeletNames(str(tmp_path))
    assert names.container(CID) == KubeletContainer("x" * 150, "ns", "c")
