"""Which hosts to read over SSH: `--ssh user@host[:port][,...]` and `--ssh-hostfile FILE`.

Accepted forms, comma-separated on the command line or one per line in a hostfile (`#`
starts a comment): `host`, `user@host`, `user@host:port`, `user@[v6addr]:port`. Without a
user, the local user name is used (as `ssh` does); the default port is 22.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from allsmi_py.errors import UsageError
from allsmi_py.remote.hosts import (
    _split_host_port,
    parse_each,
    read_host_lines,
    split_hosts_flag,
)

SSH_PORT = 22
# POSIX portable user names, plus the `$` of machine accounts; no shell metacharacters.
_USER = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}\$?$")


@dataclass(frozen=True, slots=True)
class SshTarget:
    """One host to read over SSH."""

    host: str
    port: int = SSH_PORT
    user: str | None = None  # None: the local user name

    @property
    def address(self) -> str:
        """The host as shown on its row: `user@host`, with `:port` when not 22."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        shown = f"{self.user}@{host}" if self.user else host
        return shown if self.port == SSH_PORT else f"{shown}:{self.port}"

    @property
    def base_url(self) -> str:
        """The key of this host in the pool and the schedule."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ssh://{self.user or ''}@{host}:{self.port}"


def parse_ssh_target(spec: str) -> SshTarget:
    """`[user@]host[:port]` to an SshTarget; ValueError naming what is wrong."""
    user, at, rest = spec.rpartition("@")
    if at and not _USER.match(user):
        raise ValueError(f"{user[:40]!r} is not a valid user name")
    if not rest:
        raise ValueError("no host after '@'")
    host, port = _split_host_port(rest, default=SSH_PORT)
    return SshTarget(host=host, port=port, user=user or None)


@dataclass(frozen=True, slots=True)
class SshHostList:
    """Parsed SSH targets plus the problems found on the way."""

    targets: tuple[SshTarget, ...]
    problems: tuple[str, ...] = ()


def _parse(lines: Iterable[str], source: str) -> SshHostList:
    return SshHostList(*parse_each(lines, parse_ssh_target, source, lambda line: line[:200]))


def read_ssh_hostfile(path: str | os.PathLike[str]) -> SshHostList:
    """Parse an --ssh-hostfile; UsageError when it cannot be read or is too large."""
    name, lines = read_host_lines(path, "ssh hostfile")
    return _parse(lines, name)


def load_ssh_targets(specs: Sequence[str] = (), hostfile: str | None = None) -> SshHostList:
    """Targets from --ssh then --ssh-hostfile; UsageError when none is valid or unreadable."""
    flag = _parse(split_hosts_flag(specs), "--ssh")
    merged = {t.base_url: t for t in flag.targets}
    problems = list(flag.problems)
    if hostfile:
        from_file = read_ssh_hostfile(hostfile)
        for target in from_file.targets:
            merged.setdefault(target.base_url, target)
        problems.extend(from_file.problems)
    if not merged:
        detail = f": {problems[0]}" if problems else ""
        raise UsageError(f"no valid ssh host{detail}; give user@host[:port]")
    return SshHostList(tuple(merged.values()), tuple(problems))


class SshHostfileWatcher:
    """The --ssh hosts, then the hostfile's, re-read when the file's mtime or size changes.

    As hosts.HostfileWatcher does for --hostfile: a file that vanishes, cannot be read or
    has no valid host keeps the last list, with a line saying so.
    """

    def __init__(self, specs: Sequence[str], path: str) -> None:
        """Read both now; UsageError when no host is valid."""
        self.path = Path(path).expanduser()
        self._specs = tuple(specs)
        self._stamp = self._stat()
        first = load_ssh_targets(specs, path)
        self.targets, self.problems = first.targets, first.problems

    def _stat(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size

    def refresh(self) -> bool:
        """Re-read when changed; True when the host list changed. Never raises."""
        stamp = self._stat()
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        keeping = f"keeping the last {len(self.targets)} hosts"
        if stamp is None:
            self.problems = (f"ssh hostfile {self.path} is gone; {keeping}",)
            return False
        try:
            loaded = load_ssh_targets(self._specs, str(self.path))
        except UsageError as exc:
            self.problems = (f"{exc}; {keeping}",)
            return False
        changed = loaded.targets != self.targets
        self.targets, self.problems = loaded.targets, loaded.problems
        return changed
