"""Where the host runs: a container (which runtime, which container, which pod) or a VM.

Read once, as all-smi does (src/utils/runtime_environment.rs), from the same places: the
container runtime from host.detect_runtime_environment's markers, the container id from
/proc/self/cgroup (its first 12 characters), a pod's name and namespace from HOSTNAME and the
service account's namespace file; a VM from DMI's vendor and product names (which is why this
lives beside the chassis), else the CPU's `hypervisor` flag. No tool is run.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping

from allsmi_py.model import EnvironmentReading

_CGROUP_MARKERS = {"Docker": "/docker/", "Kubernetes": "/kubepods", "Podman": "/machine.slice/",
                   "containerd": "/containerd/", "LXC": "/lxc/", "CRI-O": "/crio-"}
_ID = re.compile(r"([0-9a-f]{12,64})")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$")  # a DNS-1123-ish pod or namespace
# (DMI sys_vendor or product_name word, all-smi's vm_type, its hypervisor label)
_DMI_VMS = (("vmware", "VMware", "VMware"), ("virtualbox", "VirtualBox", "VirtualBox"),
            ("innotek", "VirtualBox", "VirtualBox"), ("virtual machine", "Hyper-V", "Hyper-V"),
            ("xen", "Xen", "Xen"), ("qemu", "QEMU", "QEMU"), ("kvm", "KVM", "KVM"),
            ("parallels", "Parallels", "Parallels"), ("amazon ec2", "AWS EC2", "AWS EC2"),
            ("google", "Google Cloud", "Google Cloud"),
            ("digitalocean", "DigitalOcean", "DigitalOcean"),
            ("oraclecloud", "Oracle Cloud", "Oracle Cloud"))

Reader = Callable[[str], str | None]


def container_id(cgroup: str, runtime: str) -> str | None:
    """The container's id in /proc/self/cgroup (12 hex characters, as all-smi shows it)."""
    marker = _CGROUP_MARKERS.get(runtime)
    for line in cgroup.splitlines()[:256]:
        at = line.find(marker) if marker else -1
        if at < 0:
            continue
        match = _ID.search(line, at)
        if match:
            return match.group(1)[:12]
    return None


def virtualization(vendor: str, product: str, cpuinfo_flags: str) -> tuple[str, str] | None:
    """(vm_type, hypervisor) as all-smi names them; None on bare metal."""
    text = f"{vendor} {product}".lower()
    for word, vm_type, hypervisor in _DMI_VMS:
        if word in text:
            if word == "virtual machine" and "microsoft" not in text:
                continue
            return vm_type, hypervisor
    if re.search(r"\bhypervisor\b", cpuinfo_flags):
        return "None", "Unknown"  # all-smi: a VM it cannot name
    return None


def detect_environment(runtime: str | None, read: Reader,
                       environ: Mapping[str, str] = os.environ) -> EnvironmentReading | None:
    """The host's container and VM facts; None when it runs on bare metal, uncontained."""
    cid = pod = namespace = None
    if runtime:
        cid = container_id(read("proc/self/cgroup") or "", runtime)
        if runtime == "Kubernetes":
            pod = environ.get("HOSTNAME")
            namespace = (read("var/run/secrets/kubernetes.io/serviceaccount/namespace")
                         or "").strip() or None
            pod = pod if pod and _NAME.match(pod) else None
            namespace = namespace if namespace and _NAME.match(namespace) else None
    flags = next((line for line in (read("proc/cpuinfo") or "").splitlines()
                  if line.startswith("flags")), "")
    vm = virtualization((read("sys/class/dmi/id/sys_vendor") or "").strip(),
                        (read("sys/class/dmi/id/product_name") or "").strip(), flags)
    if runtime is None and vm is None:
        return None
    return EnvironmentReading(container_runtime=runtime, container_id=cid, pod_name=pod,
                              namespace=namespace, vm_type=vm[0] if vm else None,
                              hypervisor=vm[1] if vm else None)
