"""Install, remove and report the service; every systemctl/launchctl call goes through a Runner.

A Host says which manager runs services here, where its files live (a root and a home that
tests point into a temporary directory), who we are, and how to run the manager's tool.
"""

from __future__ import annotations

import grp
import os
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from allsmi_py.errors import UsageError
from allsmi_py.service.health import probe_health
from allsmi_py.service.launchd import render_plist
from allsmi_py.service.paths import Manager, ServicePaths, service_paths
from allsmi_py.service.spec import (
    DEVICE_GROUPS,
    LAUNCHD_LABEL,
    UNIT_NAME,
    ApiOptions,
    ServiceSpec,
    build_spec,
)
from allsmi_py.service.systemd import render_environment_file, render_unit

TOOL_TIMEOUT_S = 60.0
TOOL_OUTPUT_CHARS_MAX = 4000
EXIT_FAILED = 1
EXIT_NOT_RUNNING = 3  # what `systemctl status` and LSB init scripts return for "not running"


@dataclass(frozen=True, slots=True)
class Completed:
    """What a manager tool did: its exit status and its output (stdout then stderr), capped."""

    returncode: int
    output: str


Runner = Callable[[Sequence[str]], Completed]


def run_tool(argv: Sequence[str]) -> Completed:
    """Run systemctl or launchctl with a timeout; a missing tool is status 127, not an error."""
    try:
        done = subprocess.run(list(argv), stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=TOOL_TIMEOUT_S, check=False)
    except FileNotFoundError:
        return Completed(127, f"{argv[0]} not found")
    except subprocess.TimeoutExpired:
        return Completed(124, f"{argv[0]} did not finish in {TOOL_TIMEOUT_S:g} s")
    text = (done.stdout + done.stderr).decode("utf-8", "replace")
    return Completed(done.returncode, text[:TOOL_OUTPUT_CHARS_MAX].strip())


@dataclass(frozen=True, slots=True)
class Host:
    """This machine as the installer sees it."""

    manager: Manager
    root: Path
    home: Path
    euid: int
    uid: int
    groups_present: frozenset[str]
    runner: Runner


def this_host() -> Host:
    """The real machine: launchd on macOS, systemd elsewhere."""
    present = set()
    for name in DEVICE_GROUPS:
        try:
            grp.getgrnam(name)
            present.add(name)
        except KeyError:
            pass
    return Host(manager="launchd" if sys.platform == "darwin" else "systemd",
                root=Path("/"), home=Path.home(), euid=os.geteuid(), uid=os.getuid(),
                groups_present=frozenset(present), runner=run_tool)


@dataclass(frozen=True, slots=True)
class Rendered:
    """One install, ready to write: the spec, its paths and the file text."""

    spec: ServiceSpec
    paths: ServicePaths
    unit_bytes: bytes
    environment_bytes: bytes | None  # the secrets file, when there are secrets


def render(options: ApiOptions, host: Host, *, system: bool,
           executable: tuple[str, ...]) -> Rendered:
    """The unit or plist (and the secrets file) for `options` on `host`."""
    paths = service_paths(host.manager, system=system, root=host.root, home=host.home)
    spec = build_spec(options, executable=executable, system=system,
                      systemd=host.manager == "systemd", environment_file=paths.environment_file,
                      groups_present=host.groups_present)
    if host.manager == "systemd":
        unit = render_unit(spec).encode()
    else:
        unit = render_plist(spec, paths.log)
    secrets = options.secret_environment()
    env = render_environment_file(secrets).encode() if secrets else None
    return Rendered(spec, paths, unit, env)


def _need_root(host: Host, system: bool, action: str) -> None:
    if system and host.euid != 0:
        raise UsageError(f"{action} the system service needs root: run it with sudo, "
                         "or add --user for a service of your own")


def install(rendered: Rendered, host: Host, *, start: bool, out: TextIO, err: TextIO) -> int:
    """Write the files (atomically; secrets 0600) and, if `start`, enable and start it."""
    spec, paths = rendered.spec, rendered.paths
    _need_root(host, spec.system, "installing")
    if spec.dynamic_user:
        blocked = first_closed_to_others(Path(spec.executable[0]))
        if blocked is not None:
            print(f"allsmi service: warning: {blocked} is closed to other users, so the "
                  f"service's dynamic user cannot run {spec.executable[0]}; install allsmi "
                  "where everyone may read it (e.g. a venv in /opt)", file=err)
    existed = paths.unit.exists()
    if rendered.environment_bytes is not None:
        write_atomic(paths.environment_file, rendered.environment_bytes, 0o600)
        print(f"wrote {paths.environment_file} (0600: the secrets)", file=out)
    elif paths.environment_file.exists():  # a token dropped on reinstall must not linger
        _remove(paths.environment_file, out)
    write_atomic(paths.unit, rendered.unit_bytes, 0o644)
    print(f"wrote {paths.unit}", file=out)
    commands = _start_commands(host, spec.system, paths.unit, restart=existed)
    if not start:
        print("not started (--no-start); to start it: "
              + "; ".join(" ".join(c) for c, _ in commands), file=out)
        return 0
    for command, required in commands:
        if not _run(host, command, err) and required:
            return EXIT_FAILED
    print(f"started {_name(host)}", file=out)
    return 0


def uninstall(host: Host, *, system: bool, out: TextIO, err: TextIO) -> int:
    """Stop and disable the service, remove its files; nothing installed is no error."""
    _need_root(host, system, "removing")
    paths = service_paths(host.manager, system=system, root=host.root, home=host.home)
    if not paths.unit.exists() and not paths.environment_file.exists():
        print(f"{_name(host)} is not installed (no {paths.unit})", file=out)
        return 0
    ok = _run(host, _stop_command(host, system), err)  # a stopped service still gets removed
    for path in (paths.unit, paths.environment_file):
        _remove(path, out)
    if host.manager == "systemd":
        ok = _run(host, [*_systemctl(system), "daemon-reload"], err) and ok
    return 0 if ok else EXIT_FAILED


def status(host: Host, *, system: bool, health_host: str, port: int, out: TextIO) -> int:
    """One line each: installed, enabled, active, /healthz; 0 only when all are well."""
    paths = service_paths(host.manager, system=system, root=host.root, home=host.home)
    if not paths.unit.exists():
        print(f"{_name(host)}: not installed (no {paths.unit})", file=out)
        return EXIT_NOT_RUNNING
    print(f"{_name(host)}: installed at {paths.unit}", file=out)
    if host.manager == "systemd":
        enabled = host.runner([*_systemctl(system), "is-enabled", UNIT_NAME])
        active = host.runner([*_systemctl(system), "is-active", UNIT_NAME])
        running = active.returncode == 0
        print(f"enabled: {_word(enabled)}", file=out)
        print(f"active: {_word(active)}", file=out)
    else:
        printed = host.runner(["launchctl", "print", _launchd_target(host, system)])
        running = printed.returncode == 0 and "state = running" in printed.output
        loaded = "loaded" if printed.returncode == 0 else "not loaded"
        print(f"launchd: {loaded}, {'running' if running else 'not running'}", file=out)
    health = probe_health(health_host, port)
    print(f"health: {health.line}", file=out)
    return 0 if running and health.healthy else EXIT_NOT_RUNNING


def _remove(path: Path, out: TextIO) -> None:
    try:
        path.unlink()
        print(f"removed {path}", file=out)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise UsageError(f"cannot remove {path}: {exc.strerror}") from None


def first_closed_to_others(executable: Path) -> Path | None:
    """The first directory on the way to `executable` (or the file itself) that a user in
    none of its groups may not pass (x) or the file they may not run (r+x); None if open."""
    # A venv under /root (0700) is the usual case: the unit installs, then exits 203/EXEC.
    for directory in reversed(executable.parents):
        try:
            if not directory.stat().st_mode & stat.S_IXOTH:
                return directory
        except OSError:
            return None  # not there: nothing to judge (a path given, not the running one)
    try:
        mode = executable.stat().st_mode
    except OSError:
        return None
    return None if mode & stat.S_IXOTH and mode & stat.S_IROTH else executable


def write_atomic(path: Path, data: bytes, mode: int) -> None:
    """Replace `path` with `data` at `mode` in one rename: a reader sees old or new, whole."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as file:
            os.fchmod(file.fileno(), mode)
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None



def _systemctl(system: bool) -> list[str]:
    return ["systemctl"] if system else ["systemctl", "--user"]


def _launchd_target(host: Host, system: bool) -> str:
    return f"{_launchd_domain(host, system)}/{LAUNCHD_LABEL}"


def _launchd_domain(host: Host, system: bool) -> str:
    return "system" if system else f"gui/{host.uid}"


def _name(host: Host) -> str:
    return UNIT_NAME if host.manager == "systemd" else LAUNCHD_LABEL


def _start_commands(host: Host, system: bool, unit: Path, *,
                    restart: bool) -> list[tuple[list[str], bool]]:
    """Commands that load, enable and start it, each with whether it must succeed; a
    reinstall also restarts, so the new file takes effect."""
    if host.manager == "systemd":
        systemctl = _systemctl(system)
        commands = [([*systemctl, "daemon-reload"], True),
                    ([*systemctl, "enable", "--now", UNIT_NAME], True)]
        return commands + ([([*systemctl, "restart", UNIT_NAME], True)] if restart else [])
    bootstrap = (["launchctl", "bootstrap", _launchd_domain(host, system), str(unit)], True)
    if restart:  # launchd refuses to bootstrap a label it has; the old one may be gone
        return [(["launchctl", "bootout", _launchd_target(host, system)], False), bootstrap]
    return [bootstrap]


def _stop_command(host: Host, system: bool) -> list[str]:
    if host.manager == "systemd":
        return [*_systemctl(system), "disable", "--now", UNIT_NAME]
    return ["launchctl", "bootout", _launchd_target(host, system)]


def _run(host: Host, command: Sequence[str], err: TextIO) -> bool:
    """Run one manager command; on failure say which, and what it printed, on one line."""
    done = host.runner(command)
    if done.returncode == 0:
        return True
    said = done.output.splitlines()[0][:300] if done.output else "no output"
    print(f"allsmi service: '{' '.join(command)}' failed (exit {done.returncode}): {said}",
          file=err)
    return False


def _word(done: Completed) -> str:
    """systemctl is-enabled/is-active print one word (also when they exit non-zero)."""
    first = done.output.splitlines()[0].strip()[:60] if done.output else ""
    return first or f"unknown (exit {done.returncode})"
