"""all-smi's runtime families (src/api/metrics/runtime.rs): the container and VM the host is in.

Label defaults are all-smi's: container_id "unknown", namespace "default", hypervisor the VM
type; all_smi_runtime_environment names the container runtime, else the VM type (not for a
VM all-smi cannot name, whose vm_type is "None").
"""

from __future__ import annotations

from allsmi_py.exporter.schema.spec import ExtraLabels, info
from allsmi_py.model import EnvironmentReading


def _container(env: EnvironmentReading) -> ExtraLabels:
    if not env.container_runtime:
        return None
    return (("runtime", env.container_runtime), ("container_id", env.container_id or "unknown"))


def _pod(env: EnvironmentReading) -> ExtraLabels:
    if env.container_runtime != "Kubernetes" or not env.pod_name:
        return None
    return (("pod_name", env.pod_name), ("namespace", env.namespace or "default"))


def _vm(env: EnvironmentReading) -> ExtraLabels:
    if not env.vm_type:
        return None
    return (("vm_type", env.vm_type), ("hypervisor", env.hypervisor or env.vm_type))


def _environment(env: EnvironmentReading) -> ExtraLabels:
    name = env.container_runtime or (env.vm_type if env.vm_type != "None" else None)
    return None if not name else (("environment", name),)


E = "environment"
ENVIRONMENT = (
    info("all_smi_container_runtime_info", "Container runtime environment information", E,
         ("runtime", "container_id"), _container),
    info("all_smi_kubernetes_pod_info", "Kubernetes pod information", E,
         ("pod_name", "namespace"), _pod),
    info("all_smi_virtualization_info", "Virtualization environment information", E,
         ("vm_type", "hypervisor"), _vm),
    info("all_smi_runtime_environment", "Current runtime environment (container or VM)", E,
         ("environment",), _environment),
)
