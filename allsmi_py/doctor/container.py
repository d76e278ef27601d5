"""Containers and their device rules: what can be told from inside.

A container shows itself by /.dockerenv (Docker), /run/.containerenv (Podman) or a
container runtime in /proc/1/cgroup (cgroup v1). Device access is then also decided by the
cgroup: v1 lists the allowed devices in devices.list, which we read; v2 attaches a BPF
program that cannot be read from inside, so all we can say is that it may deny access.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

from allsmi_py.doctor.findings import Finding
from allsmi_py.doctor.probe import Probe, clean
from allsmi_py.needs import DeviceNodes

CONTAINER_MARKERS = ("/.dockerenv", "/run/.containerenv")
RUNTIME_WORDS = ("docker", "kubepods", "containerd", "libpod", "lxc", "crio")
DEVICES_LIST_PATHS = ("/sys/fs/cgroup/devices/devices.list", "/sys/fs/cgroup/devices.list")
CGROUP2_MARKER = "/sys/fs/cgroup/cgroup.controllers"
MAX_RULES = 1024


@dataclass(frozen=True, slots=True)
class Container:
    """Whether we run in a container, the evidence, and the cgroup version (1, 2 or 0)."""

    inside: bool
    evidence: str
    cgroup_version: int


def detect(probe: Probe) -> Container:
    """Look for the container markers and the cgroup version under the root."""
    evidence = next((m for m in CONTAINER_MARKERS if probe.exists(m)), "")
    if not evidence:
        cgroup = (probe.read_text("/proc/1/cgroup", 8192) or "").lower()
        word = next((w for w in RUNTIME_WORDS if w in cgroup), "")
        evidence = f"/proc/1/cgroup names {word}" if word else ""
    if any(probe.exists(p) for p in DEVICES_LIST_PATHS):
        version = 1
    elif probe.exists(CGROUP2_MARKER):
        version = 2
    else:
        version = 0
    return Container(bool(evidence), evidence, version)


def finding(container: Container) -> Finding:
    """The host line: in a container or not, and which cgroup version decides devices."""
    if not container.inside:
        return Finding.ok("container", "not in a container")
    return Finding.ok("container", f"in a container ({container.evidence}); "
                                   f"cgroup v{container.cgroup_version or '?'}")


@dataclass(frozen=True, slots=True)
class Rule:
    """One devices.list line: type (a, c, b), major and minor ("*" for any), access (rwm)."""

    kind: str
    major: str
    minor: str
    access: str

    def allows(self, major: int, minor: int | None, access: str) -> bool:
        """Whether this rule lets a character device (major:minor) be opened for `access`."""
        if self.kind not in ("a", "c"):
            return False
        if self.kind == "a":
            return all(a in self.access for a in access)
        return ((self.major in ("*", str(major)))
                and (self.minor == "*" or (minor is not None and self.minor == str(minor)))
                and all(a in self.access for a in access))


def parse_rules(text: str) -> list[Rule]:
    """devices.list lines ("c 195:* rwm") as rules; malformed lines are skipped."""
    rules = []
    for line in text.splitlines()[:MAX_RULES]:
        parts = line.split()
        if len(parts) != 3 or ":" not in parts[1]:
            continue
        major, minor = parts[1].split(":", 1)
        rules.append(Rule(parts[0], major, minor, parts[2]))
    return rules


def _proc_devices_major(probe: Probe, name: str) -> int | None:
    text = probe.read_text("/proc/devices", 16384) or ""
    block = text.split("Block devices:")[0]
    for line in block.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1] == name and parts[0].isdigit():
            return int(parts[0][:6])
    return None


def _device_numbers(probe: Probe, need: DeviceNodes, path: str) -> tuple[int, int | None] | None:
    """(major, minor) of a node: from the node itself, else the driver's /proc/devices major."""
    try:
        info = os.stat(probe.path(path))
    except OSError:
        return None
    if stat.S_ISCHR(info.st_mode):
        return os.major(info.st_rdev), os.minor(info.st_rdev)
    if need.proc_devices_name:
        major = _proc_devices_major(probe, need.proc_devices_name)
        return None if major is None else (major, None)
    return None


def cgroup_rules(container: Container, need: DeviceNodes, probe: Probe) -> Finding | None:
    """In a container with the nodes present: do the cgroup's device rules let them open?"""
    found = [p for pattern in need.patterns for p in probe.glob(pattern)]
    if not container.inside or not found:
        return None
    if container.cgroup_version == 2:
        return Finding.ok("cgroup devices", "cgroup v2: device rules are a BPF program that "
                          "cannot be read from inside; if opening a device fails with "
                          "'Operation not permitted', they deny it")
    text = next((t for p in DEVICES_LIST_PATHS if (t := probe.read_text(p)) is not None), None)
    if text is None:
        return None
    rules = parse_rules(text)
    access = need.access.replace("m", "")
    denied: dict[str, list[str]] = {}  # "c 195:*" -> the nodes it would let open
    for path in found:
        numbers = _device_numbers(probe, need, path)
        if numbers is None:
            continue
        major, minor = numbers
        if not any(rule.allows(major, minor, access) for rule in rules):
            device = f"c {major}:{'*' if minor is None else minor}"
            denied.setdefault(device, []).append(path)
    if denied:
        listed = [f"{device} ({', '.join(paths[:4])})"
                  for device, paths in list(denied.items())[:4]]
        return Finding.problem(need.optional, "cgroup devices",
                               "cgroup v1 devices.list does not allow " + "; ".join(listed),
                               f"{need.container_fix} (or docker --device-cgroup-rule "
                               f"'{next(iter(denied))} rwm')")
    return Finding.ok("cgroup devices", clean(f"cgroup v1 devices.list allows "
                                              f"{', '.join(need.patterns)}"))
