"""Reading sysfs text under a root folder, capped, through a reader tests can replace.

The host reader runs on real machines and on fixture trees (`tests/fixtures/sysfs/<case>/`),
so every path here is relative to `root`. A sysfs attribute is at most a page; a file that
is absent is normal (the machine has no such sensor), one that exists but cannot be read
(root-only energy_uj since Linux 5.10) is reported as the OSError, so its caller can say why.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable

MAX_READ_BYTES = 64 * 1024
MAX_ENTRIES = 65_536  # cpuN folders, hwmonN folders: far above any machine
_NUMBERED = re.compile(r"(\D*)(\d+)$")

ByteReader = Callable[[str, int], bytes]
"""Reads at most `limit` bytes of one file; raises OSError as open() does."""


def read_capped(path: str, limit: int) -> bytes:
    """At most `limit` bytes of the file at `path`."""
    with open(path, "rb") as handle:
        return handle.read(limit)


class SysfsTree:
    """Files of /sys and /proc under `root`, read through `reader`."""

    def __init__(self, root: str = "/", reader: ByteReader = read_capped) -> None:
        self.root = root
        self._reader = reader

    def path(self, relative: str) -> str:
        """`relative` (e.g. 'sys/class/hwmon') under the root."""
        return os.path.join(self.root, relative)

    def read(self, relative: str, limit: int = MAX_READ_BYTES) -> str | OSError | None:
        """The file's stripped text; None when it is absent; the OSError when it will not read."""
        try:
            raw = self._reader(self.path(relative), limit)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            return exc
        return raw[:limit].decode("utf-8", "replace").strip().rstrip("\0")

    def text(self, relative: str, limit: int = MAX_READ_BYTES) -> str | None:
        """The file's text, or None when it is absent or unreadable."""
        value = self.read(relative, limit)
        return value if isinstance(value, str) else None

    def integer(self, relative: str) -> int | None:
        """The file's value as a non-negative integer (sysfs writes them in decimal), or None."""
        text = self.text(relative)
        if text is None or not text.isdigit() or len(text) > 20:
            return None
        return int(text)

    def numbered(self, relative: str, prefix: str) -> list[tuple[int, str]]:
        """Entries of folder `relative` named `prefix<N>`, as (N, name), in order of N."""
        try:
            names = os.listdir(self.path(relative))
        except OSError:
            return []
        found: list[tuple[int, str]] = []
        for name in names[:MAX_ENTRIES]:
            match = _NUMBERED.match(name)
            if match and match.group(1) == prefix and len(match.group(2)) <= 6:
                found.append((int(match.group(2)), name))
        return sorted(found)

    def names(self, relative: str) -> list[str]:
        """Entry names of folder `relative`, sorted; [] when it cannot be listed."""
        try:
            return sorted(os.listdir(self.path(relative))[:MAX_ENTRIES])
        except OSError:
            return []
