"""Container and VM detection from files under a root, and all-smi's runtime families."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from allsmi_py.chassis.environment import container_id, detect_environment, virtualization
from allsmi_py.exporter.render import render_prometheus
from allsmi_py.model import EnvironmentReading, HostReading, NodeSnapshot

DOCKER_V1 = ("12:memory:/docker/4f1c2a9e8b7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7\n"
             "0::/system.slice/containerd.service\n")
K8S = ("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1a2b.slice/"
       "cri-containerd-9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a291807f6e5d4c3b2a1f0e9d8c7b6a5.scope\n")


def _reader(files: dict[str, str]):  # type: ignore[no-untyped-def]
    return lambda relative: files.get(relative)


def test_docker_container_id_is_the_first_twelve() -> None:
    assert container_id(DOCKER_V1, "Docker") == "4f1c2a9e8b7d"
    assert container_id("0::/\n", "Docker") is None  # cgroup v2 inside a container: no path
    assert container_id(K8S, "Kubernetes") == "9e8d7c6b5a4f"


@pytest.mark.parametrize(("vendor", "product", "flags", "vm"), [
    ("QEMU", "Standard PC (Q35 + ICH9, 2009)", "", ("QEMU", "QEMU")),
    ("Amazon EC2", "c7i.4xlarge", "", ("AWS EC2", "AWS EC2")),
    ("Google", "Google Compute Engine", "", ("Google Cloud", "Google Cloud")),
    ("Microsoft Corporation", "Virtual Machine", "", ("Hyper-V", "Hyper-V")),
    ("Dell Inc.", "Virtual Machine Host 9000", "", None),  # "virtual machine", not Microsoft
    ("Dell Inc.", "PowerEdge R750xa", "flags : fpu vme hypervisor", ("None", "Unknown")),
    ("Dell Inc.", "PowerEdge R750xa", "flags : fpu vme de", None),
])
def test_vm_types_as_all_smi_names_them(vendor: str, product: str, flags: str,
                                        vm: tuple[str, str] | None) -> None:
    assert virtualization(vendor, product, flags) == vm


def test_a_kubernetes_pod() -> None:
    files = {"proc/self/cgroup": K8S,
             "var/run/secrets/kubernetes.io/serviceaccount/namespace": "ml-team\n",
             "sys/class/dmi/id/sys_vendor": "Google\n",
             "sys/class/dmi/id/product_name": "Google Compute Engine\n"}
    env = detect_environment("Kubernetes", _reader(files), {"HOSTNAME": "trainer-7f9c-0"})
    assert env == EnvironmentReading("Kubernetes", "9e8d7c6b5a4f", "trainer-7f9c-0", "ml-team",
                                     "Google Cloud", "Google Cloud")


def test_hostile_names_are_dropped_and_bare_metal_is_none() -> None:
    files = {"var/run/secrets/kubernetes.io/serviceaccount/namespace": "a\"}\n" + "x" * 999}
    env = detect_environment("Kubernetes", _reader(files), {"HOSTNAME": "bad name\x00"})
    assert env is not None and (env.pod_name, env.namespace, env.container_id) == (
        None, None, None)
    assert detect_environment(None, _reader({}), {}) is None


def _samples(env: EnvironmentReading) -> dict[str, dict[str, str]]:
    snapshot = NodeSnapshot(hostname="node-1", taken_at_s=1.8e9, host=HostReading(
        environment=env))
    return {s.name: s.labels for f in text_string_to_metric_families(render_prometheus(snapshot))
            for s in f.samples}


def test_families_under_all_smis_names() -> None:
    pod = _samples(EnvironmentReading("Kubernetes", None, "trainer-0", None, "KVM", None))
    assert pod["all_smi_container_runtime_info"] == {
        "hostname": "node-1", "runtime": "Kubernetes", "container_id": "unknown"}
    assert pod["all_smi_kubernetes_pod_info"] == {
        "hostname": "node-1", "pod_name": "trainer-0", "namespace": "default"}
    assert pod["all_smi_virtualization_info"] == {
        "hostname": "node-1", "vm_type": "KVM", "hypervisor": "KVM"}
    assert pod["all_smi_runtime_environment"] == {"hostname": "node-1",
                                                  "environment": "Kubernetes"}
    unnamed_vm = _samples(EnvironmentReading(vm_type="None", hypervisor="Unknown"))
    assert "all_smi_runtime_environment" not in unnamed_vm  # all-smi names no environment
    assert "all_smi_container_runtime_info" not in unnamed_vm
