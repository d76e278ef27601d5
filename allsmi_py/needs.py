"""What a backend needs to run, declared as data: `class X(Backend, needs=(...))`.

Each backend states its needs once, here in typed form; `allsmi doctor` checks every one
under a root folder and says how to fix what is missing. Paths are absolute as on the
machine ("/dev/kfd"); the doctor puts its root in front of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

VersionRunner = Callable[[Sequence[str], float], str]
"""Runs `argv` with a timeout in seconds and returns what it printed (stdout, then stderr)."""

LIBRARY_DIRS = (
    "/usr/lib", "/usr/lib64", "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
    "/lib", "/lib64", "/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/local/lib",
    "/usr/lib/wsl/lib",
)
"""Where shared libraries are installed by distribution packages and container runtimes."""

ACCELERATOR_PCI_CLASSES = ("0x03", "0x12", "0x0b40")
"""PCI class prefixes of display controllers, processing accelerators and co-processors."""


@dataclass(frozen=True, slots=True)
class PciDevice:
    """Hardware evidence: a PCI function of this vendor (and an accelerator class)."""

    vendor: str
    what: str
    classes: tuple[str, ...] = ACCELERATOR_PCI_CLASSES


@dataclass(frozen=True, slots=True)
class PathPresent:
    """Hardware evidence: a path (glob) that only exists where the hardware is."""

    pattern: str
    what: str


@dataclass(frozen=True, slots=True)
class DeviceTree:
    """Hardware evidence: the device tree's `compatible` list names this prefix."""

    compatible: str
    what: str
    path: str = "/proc/device-tree/compatible"


@dataclass(frozen=True, slots=True)
class Platform:
    """Hardware evidence: the operating system and machine (`sys.platform`, `uname -m`)."""

    system: str
    machine: str
    what: str


Hardware = PciDevice | PathPresent | DeviceTree | Platform
HARDWARE_NEED_TYPES = (PciDevice, PathPresent, DeviceTree, Platform)
"""The needs that say whether the hardware is here (for isinstance)."""


@dataclass(frozen=True, slots=True)
class DeviceNodes:
    """Device files the backend opens: at least one per pattern (wildcards in the last part
    only), each with `access` for the user."""

    patterns: tuple[str, ...]
    fix: str
    container_fix: str
    access: str = "rw"
    proc_devices_name: str = ""
    """The driver's name in /proc/devices, whose major number the cgroup rules must allow."""
    optional: bool = False


@dataclass(frozen=True, slots=True)
class Library:
    """A shared library found in the standard folders; its version is the file it links to."""

    soname: str
    fix: str
    dirs: tuple[str, ...] = LIBRARY_DIRS
    optional: bool = False


@dataclass(frozen=True, slots=True)
class PythonPackage:
    """An installed Python distribution (the binding a backend imports)."""

    distribution: str
    fix: str
    optional: bool = False


@dataclass(frozen=True, slots=True)
class Tool:
    """A vendor tool on PATH (the first name found), and the version it reports.

    Empty `version_args` means the tool has no version query: only its presence is checked.
    """

    names: tuple[str, ...]
    version_args: tuple[str, ...]
    run: VersionRunner
    fix: str
    version_pattern: str = r"(\d+(?:\.\d+)+)"
    min_version: str = ""
    min_reason: str = ""
    optional: bool = False


@dataclass(frozen=True, slots=True)
class KernelModule:
    """A kernel module, any one of `names`, loaded (/proc/modules or /sys/module/NAME)."""

    names: tuple[str, ...]
    fix: str
    optional: bool = False


@dataclass(frozen=True, slots=True)
class DriverMatch:
    """The kernel driver's version (read from a file by a pattern) equals a library's."""

    driver_file: str
    driver_pattern: str
    library: str
    fix: str


Need = Hardware | DeviceNodes | Library | PythonPackage | Tool | KernelModule | DriverMatch
