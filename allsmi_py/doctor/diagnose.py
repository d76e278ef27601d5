"""Run every declared need of one backend through its check; decide what the backend's state is.

A backend is `runs` when its hardware is here and nothing failed, `blocked` when its
hardware is here but a check failed (that is what makes `allsmi doctor` exit 1), and
`no_hardware` when none of its hardware shows itself here (nothing to fix).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from allsmi_py.doctor import checks
from allsmi_py.doctor.container import Container, cgroup_rules
from allsmi_py.doctor.findings import Finding
from allsmi_py.doctor.probe import Probe
from allsmi_py.needs import (
    HARDWARE_NEED_TYPES,
    DeviceNodes,
    DriverMatch,
    KernelModule,
    Library,
    Need,
    PythonPackage,
    Tool,
)

Verdict = Literal["runs", "blocked", "no_hardware"]


@dataclass(frozen=True, slots=True)
class BackendReport:
    """What the doctor found for one backend."""

    name: str
    vendor: str
    hardware: bool
    findings: tuple[Finding, ...]

    @property
    def verdict(self) -> Verdict:
        """runs, blocked (hardware here, a check failed) or no_hardware."""
        if not self.hardware:
            return "no_hardware"
        return "blocked" if any(f.level == "FAIL" for f in self.findings) else "runs"


def _hardware(needs: Sequence[Need], probe: Probe) -> tuple[bool, list[Finding]]:
    evidence = [n for n in needs if isinstance(n, HARDWARE_NEED_TYPES)]
    findings = []
    for need in evidence:
        seen = checks.hardware_seen(need, probe)
        if seen:
            findings.append(Finding.ok("hardware", f"{need.what}: {seen}"))
    if findings:
        return True, findings
    absent = "; ".join(checks.hardware_absent_text(n) for n in evidence)
    return False, [Finding.ok("hardware", absent or "the backend declares no hardware check")]


def _check(need: Need, needs: Sequence[Need], probe: Probe,
           container: Container) -> list[Finding]:
    if isinstance(need, DeviceNodes):
        found = checks.device_nodes(need, probe, container.inside)
        rules = cgroup_rules(container, need, probe)
        return found + ([rules] if rules is not None else [])
    if isinstance(need, Library):
        return [checks.library(need, probe)]
    if isinstance(need, PythonPackage):
        return [checks.python_package(need, probe)]
    if isinstance(need, Tool):
        return [checks.tool(need, probe)]
    if isinstance(need, KernelModule):
        return [checks.kernel_module(need, probe)]
    if isinstance(need, DriverMatch):
        library = next((n for n in needs if isinstance(n, Library) and n.soname == need.library),
                       None)
        result = checks.driver_match(need, library, probe)
        return [result] if result is not None else []
    return []


def diagnose(name: str, vendor: str, needs: Sequence[Need], probe: Probe,
             container: Container) -> BackendReport:
    """Check every need of one backend under the probe's root."""
    hardware, findings = _hardware(needs, probe)
    for need in needs:
        if not isinstance(need, HARDWARE_NEED_TYPES):
            findings.extend(_check(need, needs, probe, container))
    return BackendReport(name, vendor, hardware, tuple(findings))


def exit_code(reports: Sequence[BackendReport]) -> int:
    """0 when every backend whose hardware is here can run (or none has hardware); else 1."""
    return 1 if any(r.verdict == "blocked" for r in reports) else 0
