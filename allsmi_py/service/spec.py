"""The one description of the `allsmi api` service that the systemd and launchd files render."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from allsmi_py.errors import UsageError

UNIT_NAME = "allsmi-api.service"
LAUNCHD_LABEL = "org.allsmi.api"
DESCRIPTION = "allsmi GPU/NPU Prometheus exporter (allsmi api)"
RESTART_DELAY_S = 5
OPEN_FILES_MAX = 65536  # the exporter holds one descriptor per scraper connection
PRIVILEGED_PORTS_BELOW = 1024
DEVICE_GROUPS = ("video", "render")  # owners of /dev/dri/*, /dev/kfd on Debian, Ubuntu, Fedora
# Device nodes each backend opens, as systemd DeviceAllow= groups (names from /proc/devices).
# Used only when every backend the service reads is listed here: the others read sysfs or
# nodes we have not seen, and would be cut off by a closed device policy. NVIDIA's major 195
# (/dev/nvidia0..N, /dev/nvidiactl) is "nvidia-frontend" on older drivers, "nvidia" on newer;
# a group the host lacks is skipped by systemd with a log line.
BACKEND_DEVICES: Mapping[str, tuple[str, ...]] = {
    "nvidia": ("char-nvidia-frontend rw", "char-nvidia rw", "char-nvidia-uvm rw",
               "char-nvidia-caps r"),
    "amd": ("char-drm rw", "char-kfd rw"),
    "mock": (),
}
# Environment variables config.py reads for the api's secrets (ALLSMI_<SECTION>_<KEY>).
SECRET_VARIABLES = {"auth_token": "ALLSMI_API_AUTH_TOKEN", "basic_auth": "ALLSMI_API_BASIC_AUTH"}


@dataclass(frozen=True, slots=True)
class Credential:
    """A file the service reads: systemd hands it over with LoadCredential (the dynamic user
    cannot read a root-only key), launchd passes its path."""

    name: str  # "tls-key": the credential's name under $CREDENTIALS_DIRECTORY
    path: Path  # absolute


Argument = str | Credential


@dataclass(frozen=True, slots=True)
class ApiOptions:
    """The `allsmi api` flags a service passes on; None: the service's config file decides."""

    port: int | None = None
    bind: str | None = None
    interval_s: float | None = None
    processes: bool | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    mock: str | None = None
    backends: tuple[str, ...] = ()
    seed: int | None = None
    secrets: Mapping[str, str] = field(default_factory=dict)  # SECRET_VARIABLES keys

    def arguments(self, credentials: bool) -> tuple[Argument, ...]:
        """The `allsmi api ...` words after the executable; TLS files as Credentials if asked."""
        words: list[Argument] = ["api"]
        if self.port is not None:
            words += ["--port", str(self.port)]
        if self.bind is not None:
            words += ["--bind", self.bind]
        if self.interval_s is not None:
            words += ["--interval", repr(self.interval_s)]
        if self.processes is not None:
            words.append("--processes" if self.processes else "--no-processes")
        for flag, name, path in (("--tls-cert", "tls-cert", self.tls_cert),
                                 ("--tls-key", "tls-key", self.tls_key)):
            if path is not None:
                words += [flag, Credential(name, path) if credentials else str(path)]
        if self.mock is not None:
            words += ["--mock", self.mock]
        for backend in self.backends:
            words += ["--backend", backend]
        if self.seed is not None:
            words += ["--seed", str(self.seed)]
        return tuple(words)

    def secret_environment(self) -> dict[str, str]:
        """The secrets as the environment variables the service reads them from."""
        return {SECRET_VARIABLES[key]: value for key, value in self.secrets.items() if value}


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """Everything a service manager needs to run `allsmi api`, manager-neutral."""

    executable: tuple[str, ...]  # absolute path first: allsmi, or python -m allsmi_py
    arguments: tuple[Argument, ...]
    system: bool  # a system-wide service (root installs it) rather than the user's own
    environment_file: Path | None  # where the secrets are: never in the unit itself
    dynamic_user: bool  # systemd: run as a throwaway user
    supplementary_groups: tuple[str, ...]
    device_allow: tuple[str, ...] | None  # None: device nodes are left to file permissions
    bind_privileged_port: bool
    label: str = LAUNCHD_LABEL
    unit_name: str = UNIT_NAME
    description: str = DESCRIPTION
    restart_delay_s: int = RESTART_DELAY_S
    open_files_max: int = OPEN_FILES_MAX

    @property
    def credentials(self) -> tuple[Credential, ...]:
        """The files handed over as credentials, in command-line order."""
        return tuple(a for a in self.arguments if isinstance(a, Credential))


def build_spec(options: ApiOptions, *, executable: tuple[str, ...], system: bool,
               systemd: bool, environment_file: Path | None,
               groups_present: frozenset[str]) -> ServiceSpec:
    """The service for `options`; `groups_present` are the DEVICE_GROUPS this host has."""
    isolated = system and systemd  # DynamicUser and credentials exist for system units only
    return ServiceSpec(
        executable=executable,
        arguments=options.arguments(credentials=isolated),
        system=system,
        environment_file=environment_file if options.secret_environment() else None,
        dynamic_user=isolated,
        # A group the host lacks would stop the unit from starting at all.
        supplementary_groups=tuple(g for g in DEVICE_GROUPS if g in groups_present)
        if isolated else (),
        device_allow=_device_allow(options),
        bind_privileged_port=options.port is not None and options.port < PRIVILEGED_PORTS_BELOW,
    )


def _device_allow(options: ApiOptions) -> tuple[str, ...] | None:
    chosen = set(options.backends) | ({"mock"} if options.mock else set())
    if not chosen or not chosen <= set(BACKEND_DEVICES):
        return None  # every installed backend, or one whose device nodes we do not know
    return tuple(d for name in sorted(chosen) for d in BACKEND_DEVICES[name])


def current_executable(argv0: str | None = None) -> tuple[str, ...]:
    """The absolute command that runs this allsmi, so a venv install runs its own copy."""
    argv0 = sys.argv[0] if argv0 is None else argv0
    name = Path(argv0).name
    if name.startswith("allsmi") and os.path.isfile(argv0) and os.access(argv0, os.X_OK):
        return (os.path.realpath(argv0),)
    # `python -m allsmi_py`: the same interpreter, not resolved (a venv's python is a link
    # whose target runs outside the venv).
    if name == "__main__.py" and sys.executable and os.path.isabs(sys.executable):
        return (sys.executable, "-m", "allsmi_py")
    found = shutil.which("allsmi")
    if found:
        return (os.path.realpath(found),)
    raise UsageError("cannot find the allsmi executable: put it on PATH and run "
                     "'allsmi service install' again")
