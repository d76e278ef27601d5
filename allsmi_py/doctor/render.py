"""The doctor's answer as text lines (`LEVEL backend: what — fix: how`) or stable JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from allsmi_py.doctor.container import Container, finding
from allsmi_py.doctor.diagnose import BackendReport, exit_code
from allsmi_py.doctor.findings import Finding

HOST = "host"
KUBERNETES = "kubernetes"
LOAD_CHECK = "backend"
"""The check name of a backend that could not be loaded at all."""


def line(backend: str, item: Finding) -> str:
    """One check as one line; the fix follows when there is one."""
    text = f"{item.level:<4} {backend}: {item.message}"
    return text + (f" — fix: {item.fix}" if item.fix else "")


def _summary(reports: Sequence[BackendReport]) -> str:
    blocked = [r.name for r in reports if r.verdict == "blocked"]
    present = [r.name for r in reports if r.hardware]
    if blocked:
        return (f"doctor: hardware present but cannot run: {', '.join(blocked)} "
                "(fix the FAIL lines above); exit 1")
    if not present:
        return (f"doctor: none of the {len(reports)} backends checked has its hardware here; "
                "nothing to fix")
    return f"doctor: every backend with hardware here can run ({', '.join(present)})"


def render_text(reports: Sequence[BackendReport], container: Container,
                show_all: bool = False, kubernetes: Finding | None = None) -> list[str]:
    """Lines to print; a backend without hardware gets one line unless `show_all`."""
    lines = [line(HOST, finding(container))]
    if kubernetes is not None:
        lines.append(line(KUBERNETES, kubernetes))
    for report in reports:
        if report.hardware or show_all:
            lines.extend(line(report.name, item) for item in report.findings)
            continue
        load_problems = [item for item in report.findings if item.check == LOAD_CHECK]
        if load_problems:
            lines.extend(line(report.name, item) for item in load_problems)
            continue
        # Without hardware the other checks only say what a machine with it would need.
        absent = report.findings[0].message if report.findings else "no hardware"
        lines.append(line(report.name, Finding.ok("hardware", f"{absent}; nothing to check")))
    lines.append(_summary(reports))
    return lines


def _finding_json(item: Finding) -> dict[str, str]:
    return {"level": item.level, "check": item.check, "message": item.message, "fix": item.fix}


def to_json(reports: Sequence[BackendReport], container: Container, root: str,
            kubernetes: Finding | None = None) -> dict[str, Any]:
    """The whole answer with stable keys (see the README's doctor section)."""
    return {
        "root": root,
        "container": {"inside": container.inside, "evidence": container.evidence,
                      "cgroup_version": container.cgroup_version},
        **({"kubernetes": _finding_json(kubernetes)} if kubernetes is not None else {}),
        "backends": [{
            "name": r.name,
            "vendor": r.vendor,
            "hardware": r.hardware,
            "verdict": r.verdict,
            "checks": [_finding_json(f) for f in r.findings],
        } for r in reports],
        "exit_code": exit_code(reports),
    }


def render_json(reports: Sequence[BackendReport], container: Container, root: str,
                kubernetes: Finding | None = None) -> str:
    """The JSON document, indented, ending without a newline."""
    return json.dumps(to_json(reports, container, root, kubernetes), indent=2,
                      ensure_ascii=False)
