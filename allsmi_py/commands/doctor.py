"""`allsmi doctor`: for each backend, what it needs, what is missing here, and the fix.

Exit status: 0 when every backend whose hardware is present can run (also when no backend
has hardware here), 1 when some backend's hardware is present but a check failed, 2 for a
bad command line (unknown --backend, --root that is not a folder).
"""

from __future__ import annotations

import argparse
import os

from allsmi_py.config import Config
from allsmi_py.doctor.container import Container, detect
from allsmi_py.doctor.diagnose import BackendReport, diagnose, exit_code
from allsmi_py.doctor.findings import Finding
from allsmi_py.doctor.kubernetes import pod_resources_finding
from allsmi_py.doctor.probe import Probe
from allsmi_py.doctor.render import LOAD_CHECK, render_json, render_text
from allsmi_py.errors import UsageError
from allsmi_py.plugins import backend_names, load_backend_class, validate_backend_names


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--format, --backend, --all, --root."""
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="one line per check (default), or one JSON document")
    parser.add_argument("--backend", action="append", metavar="NAME", default=[],
                        help="check only this backend (repeatable)")
    parser.add_argument("--all", action="store_true", dest="show_all",
                        help="show every check, also of backends whose hardware is not here")
    parser.add_argument("--root", default="/", metavar="PATH",
                        help="read the machine under PATH instead of / (a chroot or image)")


def report_for(name: str, probe: Probe, container: Container) -> BackendReport:
    """Load one backend (importing only it) and check its declared needs."""
    loaded = load_backend_class(name)
    if loaded.backend_class is None:
        message = loaded.status.message if loaded.status else "cannot be loaded"
        problem = Finding("FAIL", LOAD_CHECK, message, "reinstall allsmi-py or the plugin")
        return BackendReport(name, "", False, (problem,))
    cls = loaded.backend_class
    if not cls.needs:
        note = Finding.ok(LOAD_CHECK, f"declares no needs to check ({cls.requirements})")
        return BackendReport(name, cls.vendor, False, (note,))
    return diagnose(name, cls.vendor, cls.needs, probe, container)


def run(args: argparse.Namespace, config: Config) -> int:
    """Check the chosen backends (all but mock by default) and print the answer."""
    if not os.path.isdir(args.root):
        raise UsageError(f"--root {args.root!r} is not a folder")
    names = list(dict.fromkeys(args.backend)) or backend_names()
    validate_backend_names(names)
    probe = Probe(root=os.path.abspath(args.root))
    container = detect(probe)
    reports = [report_for(name, probe, container) for name in names]
    kubernetes = pod_resources_finding(config.get("kubernetes", "pod_resources_socket"),
                                       probe.root)
    if args.format == "json":
        print(render_json(reports, container, probe.root, kubernetes))
    else:
        print("\n".join(render_text(reports, container, show_all=args.show_all,
                                     kubernetes=kubernetes)))
    return exit_code(reports)
