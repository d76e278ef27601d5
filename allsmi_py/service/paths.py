"""Where each service manager keeps the service's files, for system and user installs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from allsmi_py.service.spec import LAUNCHD_LABEL, UNIT_NAME

Manager = Literal["systemd", "launchd"]


@dataclass(frozen=True, slots=True)
class ServicePaths:
    """The unit (or plist), the secrets file and the log of one install."""

    unit: Path
    environment_file: Path  # secrets, 0600; systemd's EnvironmentFile=
    log: Path  # launchd only: systemd logs to the journal


def service_paths(manager: Manager, *, system: bool, root: Path, home: Path) -> ServicePaths:
    """The paths for `manager`; `root` prefixes system paths and `home` is the user's home
    (tests point both into a temporary directory)."""
    if manager == "systemd":
        if system:
            return ServicePaths(root / "etc/systemd/system" / UNIT_NAME,
                                root / "etc/allsmi/api.env", root / "var/log/allsmi-api.log")
        return ServicePaths(home / ".config/systemd/user" / UNIT_NAME,
                            home / ".config/allsmi/api.env", home / ".cache/allsmi-api.log")
    plist = f"{LAUNCHD_LABEL}.plist"
    if system:
        return ServicePaths(root / "Library/LaunchDaemons" / plist,
                            root / "etc/allsmi/api.env", root / "Library/Logs/allsmi-api.log")
    return ServicePaths(home / "Library/LaunchAgents" / plist,
                        home / ".config/allsmi/api.env", home / "Library/Logs/allsmi-api.log")
