"""Fixture roots for the doctor: copy one case to a temporary folder and set its file modes.

Git keeps only 644 and 755, so each case's `modes` file lists the device files' real modes
("dev/nvidia0 0600"); the copy gets them before a check runs.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from allsmi_py.commands.doctor import report_for
from allsmi_py.doctor.container import Container, detect
from allsmi_py.doctor.diagnose import BackendReport
from allsmi_py.doctor.probe import Probe

CASES = Path(__file__).resolve().parents[2] / "fixtures" / "doctor"


def copy_case(name: str, into: Path) -> Path:
    """The case's root, copied under `into`, with the modes of its `modes` file."""
    root = into / name
    shutil.copytree(CASES / name / "root", root, symlinks=True)
    modes = CASES / name / "modes"
    if modes.exists():
        for line in modes.read_text().splitlines():
            path, mode = line.split()
            os.chmod(root / path, int(mode, 8))
    return root


def probe_for(root: Path, packages: dict[str, str] | None = None) -> Probe:
    """A Linux probe of `root` as a user who owns none of its files and is in no group."""
    installed = {"nvidia-ml-py": "12.560.30"} if packages is None else packages
    return Probe(root=str(root), uid=os.getuid() + 1, gids=frozenset(), path_dirs=("/usr/bin",),
                 system="linux", machine="x86_64", package_version=installed.get)


def report(name: str, probe: Probe, container: Container | None = None) -> BackendReport:
    """The installed backend `name` checked through `probe`."""
    return report_for(name, probe, container or detect(probe))


def levels(result: BackendReport) -> dict[str, list[str]]:
    """check name -> the levels it got (a check may appear more than once)."""
    found: dict[str, list[str]] = {}
    for item in result.findings:
        found.setdefault(item.check, []).append(item.level)
    return found

