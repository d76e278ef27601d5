"""`-o FILE`: write a command's output so that FILE is either the old one or the whole new one.

The text goes to a temporary file in FILE's own directory (os.replace is atomic only within
one file system), is flushed to disk, then renamed over FILE. A write that fails (disk full,
no permission, a missing directory) removes the temporary file and leaves FILE as it was.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile

from allsmi_py.errors import UsageError


def _mode_for(path: str) -> int:
    """FILE's own mode when it exists, else what the umask gives a new file."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def check_writable(path: str) -> None:
    """UsageError now, before readings are taken, when `path` clearly cannot be written."""
    if "\0" in path:
        raise UsageError("-o path contains a NUL byte")
    target = os.path.abspath(path)
    directory = os.path.dirname(target)
    if os.path.isdir(target):
        raise UsageError(f"cannot write {path}: it is a directory")
    if not os.path.isdir(directory):
        raise UsageError(f"cannot write {path}: directory {directory} does not exist")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write {path}: no permission to create files in {directory}")


def write_atomic(path: str, text: str) -> None:
    """Replace `path` with `text` (UTF-8) in one rename; UsageError when it cannot be written."""
    if "\0" in path:
        raise UsageError("-o path contains a NUL byte")
    target = os.path.abspath(path)
    if os.path.isdir(target):
        raise UsageError(f"cannot write {path}: it is a directory")
    directory, name = os.path.split(target)
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            os.fchmod(out.fileno(), _mode_for(target))
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise UsageError(f"cannot write {path}: {exc.strerror or exc} "
                             "(the old file, if any, is unchanged)") from None
        raise
