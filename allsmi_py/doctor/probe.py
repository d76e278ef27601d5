"""What the doctor reads the machine through: a root folder and a few injectable seams.

Every path a check reads is the machine's absolute path with `root` in front, so tests run
the same checks on fixture trees; the user's identity, PATH, the platform and the Python
packages are seams for the same reason. Reads are capped: a file under the root is input.
"""

from __future__ import annotations

import fnmatch
import os
import platform
import re
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata

MAX_READ_BYTES = 64 * 1024
"""The most the doctor reads of one file (/proc/modules on a big host is ~10 kB)."""
MAX_GLOB_MATCHES = 256
"""The most paths one pattern yields (a host has at most a few dozen accelerator nodes)."""
MAX_LINK_HOPS = 40
MESSAGE_CHARS = 160
_UNPRINTABLE = re.compile(r"[^\x20-\x7e]+")


def clean(text: str, limit: int = MESSAGE_CHARS) -> str:
    """One printable line of at most `limit` characters, for text that came from outside."""
    line = _UNPRINTABLE.sub(" ", text).strip()
    return line if len(line) <= limit else line[:limit - 3] + "..."


def _installed_version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _path_dirs() -> tuple[str, ...]:
    return tuple(d for d in os.environ.get("PATH", os.defpath).split(os.pathsep) if d)


@dataclass(frozen=True, slots=True)
class Probe:
    """The machine as the checks see it."""

    root: str = "/"
    uid: int = field(default_factory=os.geteuid)
    gids: frozenset[int] = field(default_factory=lambda: frozenset(os.getgroups()) | {os.getegid()})
    path_dirs: tuple[str, ...] = field(default_factory=_path_dirs)
    system: str = sys.platform
    machine: str = field(default_factory=platform.machine)
    package_version: Callable[[str], str | None] = _installed_version
    tool_timeout_s: float = 5.0

    def path(self, absolute: str) -> str:
        """The real path of machine path `absolute` ("/dev/kfd") under the root.

        Every symlink on the way is followed here, as the machine would follow it, so that
        neither an absolute target nor ".." leads out of the root.
        """
        pending = [p for p in absolute.split("/") if p]
        resolved: list[str] = []
        hops = 0
        while pending:
            part = pending.pop(0)
            if part in (".", ".."):
                resolved = resolved[:-1] if part == ".." else resolved
                continue
            candidate = os.path.join(self.root, *resolved, part)
            try:
                target = os.readlink(candidate)
            except OSError:  # not a link (or not there): keep the name
                resolved.append(part)
                continue
            hops += 1
            if hops > MAX_LINK_HOPS:  # the kernel gives up here too (ELOOP)
                return os.path.join(self.root, *resolved, part)
            if target.startswith("/"):
                resolved = []
            pending = [p for p in target.split("/") if p] + pending
        return os.path.join(self.root, *resolved)

    def read_text(self, absolute: str, limit: int = MAX_READ_BYTES) -> str | None:
        """The start of a file under the root, None when unreadable; bad bytes become U+FFFD."""
        try:
            with open(self.path(absolute), "rb") as handle:
                return handle.read(limit).decode("utf-8", errors="replace")
        except OSError:
            return None

    def exists(self, absolute: str) -> bool:
        """Whether the path exists under the root (a dangling link does not)."""
        return os.path.exists(self.path(absolute))

    def glob(self, pattern: str) -> list[str]:
        """Machine paths matching `pattern`, whose wildcards are all in its last part; sorted,
        at most 256."""
        folder, name_pattern = os.path.split("/" + pattern.lstrip("/"))
        try:
            names = os.listdir(self.path(folder))
        except OSError:
            return []
        hidden = name_pattern.startswith(".")
        matches = sorted(n for n in names if fnmatch.fnmatchcase(n, name_pattern)
                         and (hidden or not n.startswith(".")))
        return [os.path.join(folder, n) for n in matches[:MAX_GLOB_MATCHES]]

    def which(self, name: str) -> str | None:
        """The machine path of the first executable `name` in the PATH folders."""
        for folder in self.path_dirs:
            candidate = os.path.join("/" + folder.lstrip("/"), name)
            real = self.path(candidate)
            if os.path.isfile(real) and os.access(real, os.X_OK):
                return candidate
        return None

    def may_access(self, info: os.stat_result, access: str) -> bool:
        """Whether this user may open a file of this mode and owner for `access` ("r", "rw")."""
        if self.uid == 0:
            return True
        if info.st_uid == self.uid:
            bits = (info.st_mode >> 6) & 7
        elif info.st_gid in self.gids:
            bits = (info.st_mode >> 3) & 7
        else:
            bits = info.st_mode & 7
        wanted = (4 if "r" in access else 0) | (2 if "w" in access else 0)
        return bits & wanted == wanted

    def group_name(self, gid: int) -> str:
        """The group's name from the root's /etc/group, else its number."""
        for line in (self.read_text("/etc/group") or "").splitlines():
            parts = line.split(":")
            if len(parts) >= 3 and parts[2] == str(gid):
                return clean(parts[0], 32)
        return str(gid)


def mode_text(info: os.stat_result) -> str:
    """The permission bits as four octal digits ("0660")."""
    return f"{stat.S_IMODE(info.st_mode):04o}"
