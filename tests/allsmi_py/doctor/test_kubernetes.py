"""The doctor's pod-resources line: off Kubernetes OK, a socket it cannot use a WARN with a fix."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("grpc")

from allsmi_py.doctor.kubernetes import pod_resources_finding
from tests.allsmi_py.workloads.pod_resources_server import hang, node_pods, serving
from tests.unix_dirs import sock_dir

__all__ = ["sock_dir"]
SOCKET = "/var/lib/kubelet/pod-resources/kubelet.sock"


def test_no_socket_under_the_root_is_fine(tmp_path: Path) -> None:
    found = pod_resources_finding(SOCKET, str(tmp_path))
    assert (found.level, found.fix) == ("OK", "")
    assert found.message.startswith(f"no kubelet socket at {tmp_path}{SOCKET}: ")


def test_an_empty_setting_is_off() -> None:
    found = pod_resources_finding("", "/")
    assert (found.level, found.message) == ("OK", "off (kubernetes.pod_resources_socket is empty)")


def test_a_regular_file_is_a_warning_with_the_mount_fix(tmp_path: Path) -> None:
    where = tmp_path / SOCKET.lstrip("/")
    where.parent.mkdir(parents=True)
    where.write_text("")
    found = pod_resources_finding(SOCKET, str(tmp_path))
    assert (found.level, found.message) == ("WARN", f"{where} is not a socket")
    assert "mount the kubelet's /var/lib/kubelet/pod-resources folder" in found.fix


def test_a_socket_under_another_root_is_not_connected_to(sock_dir: Path) -> None:
    (sock_dir / "var").mkdir()
    with serving(sock_dir / "var" / "k.sock", hang(30)):
        found = pod_resources_finding("/var/k.sock", str(sock_dir))
    assert (found.level, found.message) == (
        "OK", f"a socket at {sock_dir}/var/k.sock (not asked: --root is not this host)")


def test_a_kubelet_that_answers_is_counted(sock_dir: Path) -> None:
    with serving(sock_dir / "kubelet.sock", node_pods()) as path:
        found = pod_resources_finding(str(path))
    assert (found.level, found.message) == (
        "OK", f"the kubelet at {path} answers: 6 accelerators held by 5 pod containers")


def test_a_hung_kubelet_is_a_warning(sock_dir: Path) -> None:
    with serving(sock_dir / "kubelet.sock", hang(30)) as path:
        found = pod_resources_finding(str(path))
    assert (found.level, found.message) == ("WARN", "the kubelet did not answer List within 1 s")
    assert found.fix.startswith("check the kubelet")


def test_without_grpcio_the_fix_installs_it(monkeypatch: pytest.MonkeyPatch,
                                            sock_dir: Path) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "grpc" else real(name, *a))
    with serving(sock_dir / "kubelet.sock", node_pods()) as path:
        found = pod_resources_finding(str(path))
    assert (found.level, found.fix) == ("WARN", "pip install 'allsmi-py[kubernetes]'")
