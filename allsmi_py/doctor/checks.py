"""One check per kind of need (allsmi_py.needs): what is there, and how to fix what is not."""

from __future__ import annotations

import os
import re

from allsmi_py.doctor.findings import Finding
from allsmi_py.doctor.probe import Probe, clean, mode_text
from allsmi_py.errors import AllSmiError
from allsmi_py.needs import (
    DeviceNodes,
    DeviceTree,
    DriverMatch,
    Hardware,
    KernelModule,
    Library,
    PathPresent,
    PciDevice,
    Platform,
    PythonPackage,
    Tool,
)

PCI_DEVICES_DIR = "/sys/bus/pci/devices"
_VERSION_PARTS = re.compile(r"\d+")


def hardware_seen(need: Hardware, probe: Probe) -> str:
    """Where the hardware shows itself ("0000:01:00.0"), or "" when it does not."""
    if isinstance(need, PciDevice):
        for device in probe.glob(PCI_DEVICES_DIR + "/*"):
            vendor = (probe.read_text(device + "/vendor", 64) or "").strip().lower()
            pci_class = (probe.read_text(device + "/class", 64) or "").strip().lower()
            if vendor == need.vendor and pci_class.startswith(need.classes):
                return os.path.basename(device)
        return ""
    if isinstance(need, PathPresent):
        found = probe.glob(need.pattern)
        return found[0] if found else ""
    if isinstance(need, DeviceTree):
        entries = (probe.read_text(need.path, 4096) or "").split("\0")
        return next((clean(e, 60) for e in entries if e.startswith(need.compatible)), "")
    if isinstance(need, Platform):
        if probe.system == need.system and probe.machine == need.machine:
            return f"{probe.system} {probe.machine}"
        return ""
    raise TypeError(f"not a hardware need: {need!r}")


def hardware_absent_text(need: Hardware) -> str:
    """What was looked for and not found, in words."""
    if isinstance(need, PciDevice):
        return f"no {need.what} on the PCI bus (vendor {need.vendor})"
    if isinstance(need, PathPresent):
        return f"no {need.what} ({need.pattern})"
    if isinstance(need, DeviceTree):
        return f"no {need.what} (device tree is not {need.compatible}*)"
    return f"not {need.what} ({need.system} {need.machine})"


def device_nodes(need: DeviceNodes, probe: Probe, in_container: bool) -> list[Finding]:
    """Each pattern matches a node, and the user may open every node for the access needed."""
    matches = {pattern: probe.glob(pattern) for pattern in need.patterns}
    missing = " and ".join(pattern for pattern, paths in matches.items() if not paths)
    if missing:
        if in_container:
            return [Finding.problem(need.optional, "device files",
                                    f"running in a container without {missing} mounted",
                                    need.container_fix)]
        return [Finding.problem(need.optional, "device files", f"no {missing}", need.fix)]
    found = [path for paths in matches.values() for path in paths]
    denied: list[str] = []
    groups: list[str] = []
    for path in found:
        try:
            info = os.stat(probe.path(path))
        except OSError as exc:
            denied.append(f"{path} cannot be read ({exc.strerror})")
            continue
        if not probe.may_access(info, need.access):
            groups.append(probe.group_name(info.st_gid))
            denied.append(f"{path} is {mode_text(info)} owned by uid {info.st_uid} "
                          f"group {groups[-1]}")
    if denied:
        group = groups[0] if groups else "the device's group"
        return [Finding.problem(
            need.optional, "device permissions",
            f"no {need.access} access for uid {probe.uid}: " + "; ".join(denied[:4]),
            f"add the user to group {group} (usermod -aG {group} USER, then log in again) "
            "or fix the udev rule that sets the mode")]
    shown = ", ".join(found[:6]) + (" ..." if len(found) > 6 else "")
    return [Finding.ok("device files", f"{shown} ({need.access})")]


def library_file(need: Library, probe: Probe) -> tuple[str, str] | None:
    """(where the library is, its version from the file it resolves to), or None."""
    for folder in need.dirs:
        machine_path = os.path.join(folder, need.soname)
        real = probe.path(machine_path)
        if not os.path.isfile(real):
            continue
        target = os.path.basename(real)
        stem = need.soname.split(".so")[0] + ".so."
        version = target[len(stem):] if target.startswith(stem) and target != need.soname else ""
        return machine_path, clean(version, 40)
    return None


def library(need: Library, probe: Probe) -> Finding:
    """The library is installed; its version is named when its file carries one."""
    found = library_file(need, probe)
    if found is None:
        return Finding.problem(need.optional, "library", f"{need.soname} not found in "
                               f"{', '.join(need.dirs[:3])} ...", need.fix)
    where, version = found
    return Finding.ok("library", f"{where} {version or '(version not in its file name)'}")


def python_package(need: PythonPackage, probe: Probe) -> Finding:
    """The Python distribution is installed in this interpreter's environment."""
    version = probe.package_version(need.distribution)
    if version is None:
        return Finding.problem(need.optional, "python package",
                               f"{need.distribution} not installed", need.fix)
    return Finding.ok("python package", f"{need.distribution} {clean(version, 40)}")


def version_tuple(text: str) -> tuple[int, ...]:
    """'2025.3.1' -> (2025, 3, 1); each part capped, so a hostile version cannot be huge."""
    return tuple(int(part[:9]) for part in _VERSION_PARTS.findall(text)[:8])


def tool(need: Tool, probe: Probe) -> Finding:
    """The tool is on PATH, answers its version query, and is new enough."""
    found = next(((name, path) for name in need.names if (path := probe.which(name))), None)
    if found is None:
        return Finding.problem(need.optional, "tool",
                               f"{' or '.join(need.names)} not on PATH", need.fix)
    name, path = found
    if not need.version_args:
        return Finding.ok("tool", f"{name} at {path}")
    try:
        output = need.run([probe.path(path), *need.version_args], probe.tool_timeout_s)
    except (AllSmiError, OSError) as exc:
        return Finding.problem(True, "tool version", f"{name} at {path} did not "
                               f"answer {' '.join(need.version_args)}: {clean(str(exc))}",
                               f"check that {name} runs: {name} {' '.join(need.version_args)}")
    match = re.search(need.version_pattern, output)
    if match is None:
        first = clean(output.strip().splitlines()[0] if output.strip() else "nothing", 80)
        return Finding.problem(True, "tool version",
                               f"{name} at {path}: version unparsable ({first!r})",
                               f"check that {path} is the vendor's {name}")
    version = clean(match.group(1), 40)
    if need.min_version and version_tuple(version) < version_tuple(need.min_version):
        return Finding.problem(need.optional, "tool version",
                               f"{name} {version} is older than {need.min_version}"
                               + (f" ({need.min_reason})" if need.min_reason else ""),
                               f"upgrade {name} to {need.min_version} or newer")
    return Finding.ok("tool", f"{name} {version} at {path}")


def loaded_modules(probe: Probe) -> set[str]:
    """Names in /proc/modules under the root."""
    text = probe.read_text("/proc/modules") or ""
    return {line.split(" ", 1)[0] for line in text.splitlines() if line.strip()}


def kernel_module(need: KernelModule, probe: Probe) -> Finding:
    """One of the modules is loaded (listed in /proc/modules, or built in: /sys/module/NAME)."""
    loaded = loaded_modules(probe)
    name = next((n for n in need.names
                 if n in loaded or os.path.isdir(probe.path(f"/sys/module/{n}"))), None)
    if name is None:
        return Finding.problem(need.optional, "kernel module",
                               f"{' or '.join(need.names)} not loaded", need.fix)
    return Finding.ok("kernel module", f"{name} loaded")


def driver_match(need: DriverMatch, library_need: Library | None, probe: Probe) -> Finding | None:
    """The kernel driver's version equals the library's; None when there is no driver to compare."""
    text = probe.read_text(need.driver_file, 4096)
    if text is None:
        return None
    match = re.search(need.driver_pattern, text)
    if match is None:
        return Finding.problem(True, "driver version", f"no version in {need.driver_file}: "
                               f"{clean(text.strip()[:80] or 'empty')!r}",
                               f"check {need.driver_file}")
    driver = clean(match.group(1), 40)
    found = library_file(library_need, probe) if library_need is not None else None
    if found is None:
        return None  # the library check already says it is missing
    if not found[1]:
        return Finding.problem(True, "driver version", f"kernel driver {driver}; the version of "
                               f"{need.library} cannot be told from its file name",
                               f"compare with: ls -l {found[0]}")
    if found[1] != driver:
        return Finding.problem(False, "driver version",
                               f"kernel driver {driver} but {need.library} {found[1]}", need.fix)
    return Finding.ok("driver version", f"kernel driver and {need.library} are both {driver}")
