"""Containers and pods reach every command and the library: the collector that
`commands.sources` builds reads this host's cgroups and the kubelet's pod-resources socket
for real backends, and leaves the mock (which simulates its own) alone."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from allsmi_py.backend import Availability, Backend
from allsmi_py.cli import main
from allsmi_py.commands.sources import host_workloads
from allsmi_py.library import Collector as LibraryCollector
from allsmi_py.model import DeviceReading
from allsmi_py.workloads.attach import WorkloadAttacher
from allsmi_py.workloads.pod_resources_watch import PodResourcesWatcher
from allsmi_py.workloads.processes import ProcessWorkloads
from backends.mock.backend import MockBackend
from backends.nvidia.backend import NvidiaBackend
from tests.allsmi_py.workloads.pod_resources_server import GPU, node_pods, serving
from tests.allsmi_py.workloads.test_pod_resources import held
from tests.fakes.fake_pynvml import MIB, FakeNvml, FakeProcess, h100
from tests.unix_dirs import sock_dir

__all__ = ["sock_dir"]
SOCKET_ENV = "ALLSMI_KUBERNETES_POD_RESOURCES_SOCKET"


class Real(Backend):
    name = "real"

    def read(self) -> list[DeviceReading]:
        return [DeviceReading(backend="real", index=0, uuid=GPU[0], name="H100")]


def _fake_nvidia(monkeypatch: pytest.MonkeyPatch, pids: tuple[int, ...] = ()) -> None:
    """A fake NVML with one H100 (the pod server's first GPU) running `pids`; the driver's
    files, which the backend checks before it loads NVML, are taken as present."""
    gpu = replace(h100(0), uuid=GPU[0], compute=[FakeProcess(pid, 512 * MIB) for pid in pids],
                  graphics=[], process_util=[])
    FakeNvml([gpu]).install(monkeypatch)
    monkeypatch.setattr(NvidiaBackend, "available", classmethod(
        lambda cls: Availability.yes("the test's fake NVML")))


def _no_host_attacher(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(WorkloadAttacher, "on_host", classmethod(
        lambda cls, root="/": pytest.fail("the mock simulates its workloads: no host lookups")))


def test_only_simulated_backends_get_no_attacher_and_no_watcher(
        monkeypatch: pytest.MonkeyPatch, sock_dir: Path) -> None:
    _no_host_attacher(monkeypatch)
    with serving(sock_dir / "kubelet.sock", node_pods()) as path:
        assert host_workloads([MockBackend(spec="h100:2", seed=1)], str(path), 10.0) == \
            (None, None)


def test_a_real_backend_gets_the_host_attacher_and_a_started_watcher(sock_dir: Path) -> None:
    with serving(sock_dir / "kubelet.sock", node_pods()) as path:
        attacher, watcher = host_workloads([Real()], str(path), 60.0, wait_s=10.0)
        assert isinstance(attacher, WorkloadAttacher) and attacher.processes is not None
        assert isinstance(watcher, PodResourcesWatcher)
        assert watcher.device_workloads()[GPU[0]] == (held("ml", "train-0", "trainer"),)
        watcher.close()
        attacher.close()


def test_an_absent_or_empty_socket_gives_no_watcher_and_no_error(tmp_path: Path) -> None:
    for path in (str(tmp_path / "no-kubelet.sock"), ""):
        attacher, watcher = host_workloads([Real()], path, 10.0, wait_s=1.0)
        assert attacher is not None and watcher is None
        attacher.close()


def test_snapshot_on_nvidia_shows_the_pod_from_the_socket_and_this_process_container(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        sock_dir: Path) -> None:
    """End to end: `allsmi snapshot` over a fake NVML whose GPU runs this test's own process;
    the device's pod comes from a real gRPC server on the configured socket, the process's
    container (or none) from this machine's /proc/<pid>/cgroup."""
    _fake_nvidia(monkeypatch, pids=(os.getpid(),))
    with serving(sock_dir / "kubelet.sock", node_pods()) as path:
        monkeypatch.setenv(SOCKET_ENV, str(path))
        assert main(["snapshot", "--backend", "nvidia", "--compact"]) == 0
    device = json.loads(capsys.readouterr().out)["devices"][0]
    assert device["workloads"] == [{"container": "trainer", "pod": "train-0", "namespace": "ml"}]
    process = next(p for p in device["processes"] if p["pid"] == os.getpid())
    expected = ProcessWorkloads("/").workload(os.getpid())
    assert process.get("workload") == (None if expected is None else {
        key: value for key, value in asdict(expected).items() if value is not None})


def test_snapshot_of_the_mock_never_looks_at_the_host(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _no_host_attacher(monkeypatch)
    assert main(["snapshot", "--mock", "h100:2", "--seed", "3", "--compact"]) == 0
    assert len(json.loads(capsys.readouterr().out)["devices"]) == 2


def test_the_library_collector_reads_pods_for_real_backends_and_closes_the_watcher(
        monkeypatch: pytest.MonkeyPatch, sock_dir: Path) -> None:
    _fake_nvidia(monkeypatch)
    with serving(sock_dir / "kubelet.sock", node_pods()) as path:
        monkeypatch.setattr("allsmi_py.library.POD_RESOURCES_SOCKET", str(path))
        collector = LibraryCollector(backends="nvidia", host=False)
        watcher = collector._pod_devices
        assert isinstance(watcher, PodResourcesWatcher) and watcher.wait_ready(10)
        (device,) = collector.tick().devices
        collector.close()
        assert device.workloads == (held("ml", "train-0", "trainer"),)
        assert watcher._stop.is_set(), "closing the collector stops the watcher's thread"


def test_the_library_collector_of_the_mock_has_no_attacher(
        monkeypatch: pytest.MonkeyPatch) -> None:
    _no_host_attacher(monkeypatch)
    with LibraryCollector(mock="h100:1", seed=2, host=False) as collector:
        assert collector._workloads is None and collector._pod_devices is None
