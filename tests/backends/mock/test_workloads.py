"""Simulated containers and pods: seeded, stable across ticks, and on the devices the pods hold."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from allsmi_py.model import DeviceReading, ProcessReading, WorkloadReading
from backends.mock.backend import MockBackend
from backends.mock.simulator import COMMANDS, USERS
from backends.mock.workloads import APPS, WorkloadPlan, held_by

_SUFFIX = "[bcdfghjklmnpqrstvwxz2456789]{5}"  # Kubernetes' generated-name characters
POD_NAME = re.compile(rf"^[a-z0-9-]+-{_SUFFIX}-{_SUFFIX}$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _every_pair(plan: WorkloadPlan) -> dict[tuple[str, str], WorkloadReading | None]:
    return {(user, command): plan.of(user, command) for user in USERS for command in COMMANDS}


def test_every_simulated_command_has_an_app() -> None:
    assert set(COMMANDS) == set(APPS)


def test_a_share_runs_in_pods_a_share_in_docker_the_rest_bare() -> None:
    placed = _every_pair(WorkloadPlan("7:node-a")).values()
    pods = [w for w in placed if w is not None and w.pod is not None]
    docker = [w for w in placed if w is not None and w.runtime == "docker"]
    bare = [w for w in placed if w is None]
    assert pods and docker and bare
    assert len(pods) + len(docker) + len(bare) == len(USERS) * len(COMMANDS)
    for w in pods:
        assert w.runtime == "containerd" and w.pod is not None and POD_NAME.match(w.pod)
        assert w.namespace in {"ml-train", "inference", "default"}
        assert w.container and w.pod_uid and UUID.match(w.pod_uid)
        assert w.container_id and re.fullmatch(r"[0-9a-f]{64}", w.container_id)
        assert w.label == f"{w.namespace}/{w.pod}"
    for w in docker:
        assert w.pod is None and w.namespace is None and w.pod_uid is None
        assert w.container and w.label == w.container
        assert w.container_id and re.fullmatch(r"[0-9a-f]{64}", w.container_id)


def test_the_same_salt_places_jobs_alike_and_another_salt_differently() -> None:
    first = _every_pair(WorkloadPlan("7:node-a"))
    assert first == _every_pair(WorkloadPlan("7:node-a"))
    assert first != _every_pair(WorkloadPlan("7:node-b"))  # another node, other pods
    assert first != _every_pair(WorkloadPlan("8:node-a"))


def test_a_device_lists_each_pod_container_once_as_the_kubelet_reports_it() -> None:
    in_pod = WorkloadReading(runtime="containerd", container_id="a" * 64, container="trainer",
                             pod_uid="u", pod="llama-train-bbbbb-ccccc", namespace="ml-train")
    docker = WorkloadReading(runtime="docker", container_id="b" * 64, container="jupyter")
    held = held_by([ProcessReading(pid=1, workload=in_pod), ProcessReading(pid=2, workload=in_pod),
                    ProcessReading(pid=3, workload=docker), ProcessReading(pid=4)])
    assert held == (WorkloadReading(container="trainer", pod="llama-train-bbbbb-ccccc",
                                    namespace="ml-train"),)


def test_apply_leaves_a_device_without_processes_as_it_is() -> None:
    idle = DeviceReading(backend="mock", index=0, uuid="u0", name="g")
    assert WorkloadPlan("s").apply([idle]) == [idle]


def _run(seed: int, node: str = "") -> list[list[DeviceReading]]:
    now = [0.0]
    backend = MockBackend(spec="h100:8", seed=seed, node=node, clock=lambda: now[0],
                          start_time_s=1.7e9)
    rounds = []
    for step in range(40):
        now[0] = step * 20.0
        rounds.append(backend.read())
    return rounds


def test_the_mock_backend_is_deterministic_and_stable_across_ticks() -> None:
    rounds = _run(seed=5)
    assert rounds == _run(seed=5)
    placed: dict[int, WorkloadReading | None] = {}
    kinds = set()
    for readings in rounds:
        for device in readings:
            for proc in device.processes:
                assert placed.setdefault(proc.pid, proc.workload) == proc.workload
                kinds.add("bare" if proc.workload is None else proc.workload.runtime)
            assert device.workloads == held_by(device.processes)
    assert kinds == {"bare", "docker", "containerd"}


def _bare(readings: list[DeviceReading]) -> list[DeviceReading]:
    return [replace(d, workloads=(), processes=tuple(replace(p, workload=None)
                                                      for p in d.processes))
            for d in readings]


def test_workloads_leave_the_simulated_readings_otherwise_unchanged(
        monkeypatch: pytest.MonkeyPatch) -> None:
    placed = _run(seed=9)
    monkeypatch.setattr(WorkloadPlan, "apply", lambda self, readings: list(readings))
    assert [_bare(r) for r in placed] == _run(seed=9)
