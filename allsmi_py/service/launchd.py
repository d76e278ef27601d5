"""The launchd property list for a ServiceSpec (a LaunchAgent, or a LaunchDaemon as root)."""

from __future__ import annotations

import plistlib
from pathlib import Path
from typing import Any

from allsmi_py.errors import UsageError
from allsmi_py.service.spec import Credential, ServiceSpec


def render_plist(spec: ServiceSpec, log_path: Path) -> bytes:
    """The plist bytes for `spec`; stderr (the exporter's log) goes to `log_path`."""
    if spec.environment_file is not None:
        # launchd has no environment file, and a token in the plist is a token in the unit.
        raise UsageError("launchd cannot read secrets from a file: leave out --auth-token "
                         "and --basic-auth and set api.auth_token / api.basic_auth in the "
                         "config file the service reads ('allsmi config init' writes it 0600)")
    arguments = [str(a.path) if isinstance(a, Credential) else a for a in spec.arguments]
    limits = {"NumberOfFiles": spec.open_files_max}
    plist: dict[str, Any] = {
        "Label": spec.label,
        "ProgramArguments": [*spec.executable, *arguments],
        "RunAtLoad": True,
        "KeepAlive": {"SuccessfulExit": False},  # restart after a failure, as Restart=on-failure
        "ThrottleInterval": spec.restart_delay_s,
        "SoftResourceLimits": limits,
        "HardResourceLimits": limits,
        "ProcessType": "Background",
        "StandardErrorPath": str(log_path),
        "Umask": 0o077,
    }
    return plistlib.dumps(plist, sort_keys=True)
