"""The exporter on a unix socket: `allsmi api --socket [PATH]` (issue 21 item 4).

The socket is bound under a umask of 0177, so it is 0600 from the moment it exists (a
chmod after bind would leave a window where anyone may connect). A file already at PATH is
removed only when it is a socket that nobody answers on (a server that died without
cleaning up); a regular file, a directory or a live server's socket is left alone and
refused. On exit the socket is removed, but only while PATH is still the one we bound, so a
second server that took the path over keeps its own.
"""

from __future__ import annotations

import errno
import os
import socket
import stat
from dataclasses import dataclass
from pathlib import Path

from allsmi_py.errors import UsageError

MAX_PATH_BYTES = 107  # sockaddr_un.sun_path holds 108 bytes on Linux, one of them the NUL
PROBE_TIMEOUT_S = 0.5  # connecting to a live local socket takes microseconds
SOCKET_UMASK = 0o177  # the socket file: 0600
ROOT_SOCKET_PATH = "/run/allsmi/api.sock"


def default_socket_path() -> str:
    """`--socket` without a PATH: /run/allsmi/api.sock as root, else $XDG_RUNTIME_DIR/allsmi/."""
    if os.geteuid() == 0:
        return ROOT_SOCKET_PATH
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if not runtime or not os.path.isabs(runtime):
        raise UsageError("--socket needs a PATH here: XDG_RUNTIME_DIR is not set "
                         "(e.g. --socket /tmp/allsmi-api.sock)")
    return os.path.join(runtime, "allsmi", "api.sock")


@dataclass(slots=True)
class UnixListenSocket:
    """A bound, listening unix socket and the file it made (removed by `remove`)."""

    sock: socket.socket
    path: str
    device: int
    inode: int

    def remove(self) -> None:
        """Close the socket and unlink its file, if PATH is still the file we bound."""
        self.sock.close()
        try:
            st = os.lstat(self.path)
        except OSError:
            return
        if (st.st_dev, st.st_ino) == (self.device, self.inode):
            try:
                os.unlink(self.path)
            except OSError:
                pass


def check_socket_path(text: str) -> str:
    """`text` as an absolute socket path; UsageError when it cannot be one."""
    if "\0" in text:
        raise UsageError("--socket path contains a NUL byte")
    if not text:
        raise UsageError("--socket path is empty")
    path = os.path.abspath(text)
    size = len(os.fsencode(path))
    if size > MAX_PATH_BYTES:
        raise UsageError(f"--socket path {path} is {size} bytes; a unix socket path holds at "
                         f"most {MAX_PATH_BYTES} (choose a shorter one)")
    return path


def bind_unix_socket(text: str, backlog: int, make_parent: bool = False) -> UnixListenSocket:
    """A listening unix socket at `text`, mode 0600; UsageError naming the problem."""
    path = check_socket_path(text)
    parent = Path(path).parent
    if make_parent and not parent.exists():
        try:
            parent.mkdir(mode=0o700)  # one level only: its own parent must exist
        except OSError as exc:
            raise UsageError(f"cannot create {parent} for --socket: "
                             f"{exc.strerror or exc}") from None
    if not parent.is_dir():
        raise UsageError(f"cannot listen on {path}: directory {parent} does not exist")
    _clear_stale(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(SOCKET_UMASK)
    try:
        sock.bind(path)
    except OSError as exc:
        sock.close()
        reason = "another server took the path" if exc.errno == errno.EADDRINUSE else \
            (exc.strerror or str(exc))
        raise UsageError(f"cannot listen on {path}: {reason}") from None
    finally:
        os.umask(old_umask)
    st = os.lstat(path)
    bound = UnixListenSocket(sock, path, st.st_dev, st.st_ino)
    try:
        sock.listen(backlog)
    except OSError as exc:
        bound.remove()
        raise UsageError(f"cannot listen on {path}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return bound


def _clear_stale(path: str) -> None:
    """Unlink a dead socket at `path`; UsageError for anything else that is there."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise UsageError(f"cannot listen on {path}: {exc.strerror or exc}") from None
    if not stat.S_ISSOCK(st.st_mode):
        raise UsageError(f"cannot listen on {path}: it exists and is not a socket "
                         "(not removing it; choose another --socket path)")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(PROBE_TIMEOUT_S)
    try:
        probe.connect(path)
    except ConnectionRefusedError:
        pass  # nobody listens: left behind by a server that was killed
    except OSError as exc:
        raise UsageError(f"cannot listen on {path}: a socket is there and probing it "
                         f"failed ({exc.strerror or exc}); not removing it") from None
    else:
        raise UsageError(f"cannot listen on {path}: another server is listening there")
    finally:
        probe.close()
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise UsageError(f"cannot remove the stale socket {path}: "
                         f"{exc.strerror or exc}") from None
