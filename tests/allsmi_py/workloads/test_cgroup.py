"""cgroup.py: every runtime's fixture file, and files no runtime writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from allsmi_py.model_workload import WorkloadReading
from allsmi_py.workloads.cgroup import MAX_LINE_CHARS, MAX_LINES, parse_cgroup, parse_cgroup_path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cgroup"
DOCKER_ID = "3f1c9a7be2d04b8c9e5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f70819"
CRI_ID = "a9b8c7d6e5f40312a9b8c7d6e5f40312a9b8c7d6e5f40312a9b8c7d6e5f40312"
POD_UID = "6b2e3f1a-8c4d-4e5f-9a0b-1c2d3e4f5a6b"

EXPECTED: dict[str, WorkloadReading | None] = {
    "docker/v1_cgroupfs": WorkloadReading("docker", DOCKER_ID),
    "docker/v1_systemd": WorkloadReading("docker", DOCKER_ID),
    "docker/v2_systemd": WorkloadReading("docker", DOCKER_ID),
    "docker/docker_in_docker": WorkloadReading("docker", DOCKER_ID),
    "containerd/v2_k8s_systemd_burstable": WorkloadReading("containerd", CRI_ID, pod_uid=POD_UID),
    "containerd/v2_k8s_systemd_guaranteed": WorkloadReading("containerd", CRI_ID, pod_uid=POD_UID),
    "containerd/v1_k8s_cgroupfs_besteffort": WorkloadReading(None, CRI_ID, pod_uid=POD_UID),
    "containerd/v1_k8s_cgroupfs_guaranteed": WorkloadReading(None, CRI_ID, pod_uid=POD_UID),
    "containerd/k3s_v1_cgroupfs": WorkloadReading(None, CRI_ID, pod_uid=POD_UID),
    "containerd/k3s_v2_systemd": WorkloadReading("containerd", CRI_ID, pod_uid=POD_UID),
    "containerd/namespace_k8s_io": WorkloadReading("containerd", CRI_ID),
    "containerd/cgroupfs_containerd": WorkloadReading("containerd", CRI_ID),
    "containerd/host_namespace_relative": WorkloadReading("containerd", CRI_ID, pod_uid=POD_UID),
    "containerd/host_namespace_relative_cgroupfs": WorkloadReading(None, CRI_ID, pod_uid=POD_UID),
    "crio/v2_systemd_burstable": WorkloadReading("cri-o", CRI_ID, pod_uid=POD_UID),
    "crio/v1_systemd_besteffort": WorkloadReading("cri-o", CRI_ID, pod_uid=POD_UID),
    "crio/v1_cgroupfs_burstable": WorkloadReading("cri-o", CRI_ID, pod_uid=POD_UID),
    # conmon lives in the pod's slice but is the runtime's monitor: the pod, no container.
    "crio/conmon": WorkloadReading(pod_uid=POD_UID),
    "podman/rootful_v2": WorkloadReading("podman", DOCKER_ID),
    "podman/rootful_v2_systemd_payload": WorkloadReading("podman", DOCKER_ID),
    "podman/rootless_v2": WorkloadReading("podman", DOCKER_ID),
    "podman/rootful_cgroupfs": WorkloadReading("podman", DOCKER_ID),
    "podman/conmon": None,
    "lxc/v1_lxc": WorkloadReading("lxc", "web01"),
    "lxc/lxc3_payload_folder": WorkloadReading("lxc", "web01"),
    "lxc/lxc4_payload": WorkloadReading("lxc", "web01"),
    "lxc/lxc4_payload_nested": WorkloadReading("lxc", "web01"),
    "lxc/monitor": None,
    "none/host_service": None,
    "none/user_session": None,
    "none/containerd_service": None,
    "none/root": None,
    "none/in_own_namespace": None,
}


def test_every_fixture_has_an_expectation() -> None:
    on_disk = {str(p.relative_to(FIXTURES).with_suffix("")) for p in FIXTURES.rglob("*.cgroup")}
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture(name: str) -> None:
    text = (FIXTURES / f"{name}.cgroup").read_text()
    assert parse_cgroup(text) == EXPECTED[name]


def test_systemd_pod_uid_gets_its_dashes_back() -> None:
    found = parse_cgroup_path(
        "/kubepods.slice/kubepods-besteffort.slice/"
        "kubepods-besteffort-pod0a1b2c3d_4e5f_6a7b_8c9d_0e1f2a3b4c5d.slice")
    assert found == WorkloadReading(pod_uid="0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d")


def test_pod_folder_outside_kubepods_is_no_pod() -> None:
    assert parse_cgroup_path(f"/system.slice/pod{POD_UID}") is None
    assert parse_cgroup_path(f"/user.slice/pod{POD_UID}/{CRI_ID}") is None


def test_bare_id_under_an_unknown_folder_is_no_container() -> None:
    assert parse_cgroup_path(f"/process_api/{CRI_ID}") is None
    assert parse_cgroup_path(f"/{CRI_ID}") is None


def test_short_or_upper_case_ids_are_refused() -> None:
    assert parse_cgroup_path(f"/system.slice/docker-{DOCKER_ID[:63]}.scope") is None
    assert parse_cgroup_path(f"/system.slice/docker-{DOCKER_ID.upper()}.scope") is None


def test_lxc_name_must_be_a_name() -> None:
    assert parse_cgroup_path("/lxc.payload.") is None
    assert parse_cgroup_path("/lxc/" + "x" * 65) is None
    assert parse_cgroup_path("/lxc/we b") is None


def test_the_line_naming_a_container_wins_over_plain_ones() -> None:
    text = f"1:name=systemd:/user.slice\n0::/system.slice/docker-{DOCKER_ID}.scope\n"
    assert parse_cgroup(text) == WorkloadReading("docker", DOCKER_ID)


# -- hostile input -------------------------------------------------------------------------

def test_empty_and_garbage_lines() -> None:
    assert parse_cgroup("") is None
    assert parse_cgroup("no colons here\n::\n:x:/docker/abc\nx:y:/docker/" + DOCKER_ID) is None
    assert parse_cgroup(f"0::docker/{DOCKER_ID}\n") is None  # a path that is not absolute


def test_binary_garbage() -> None:
    garbage = bytes(range(256)).decode("latin-1") * 64
    assert parse_cgroup(garbage) is None
    assert parse_cgroup(garbage + f"\n0::/docker/{DOCKER_ID}\n") is None  # past the char cap


def test_a_line_over_the_cap_is_skipped() -> None:
    long_path = f"/docker/{DOCKER_ID}/" + "a" * MAX_LINE_CHARS
    assert parse_cgroup(f"0::{long_path}\n") is None


def test_lines_past_the_line_cap_are_not_read() -> None:
    def with_filler(lines: int) -> str:
        return "".join(f"{n}:cpu:/user.slice\n" for n in range(lines)) + f"0::/docker/{DOCKER_ID}"

    assert parse_cgroup(with_filler(MAX_LINES)) is None
    assert parse_cgroup(with_filler(MAX_LINES - 1)) == WorkloadReading("docker", DOCKER_ID)


def test_a_hundred_thousand_lines() -> None:
    text = "".join(f"{n}:memory:/docker/{DOCKER_ID}\n" for n in range(100_000))
    assert parse_cgroup(text) == WorkloadReading("docker", DOCKER_ID)


def test_a_huge_file() -> None:
    assert parse_cgroup("0::/" + "a/" * 5_000_000) is None
