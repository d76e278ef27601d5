"""Which nodes to watch: `--hosts` and `--hostfile`, and a hostfile watched for changes.

Accepted forms, one per line or comma-separated on the command line:
`host`, `host:port`, `[v6addr]`, `[v6addr]:port`, `http(s)://host[:port][/prefix]`, and
`unix:///absolute/path.sock` for an exporter on a unix socket (`allsmi api --socket`; `%XX`
escapes a space or comma in the path). The default port is 9090 (the exporter's). A URL
path is a prefix under which the node serves `/metrics` and `/snapshot`; a trailing
`/metrics` or `/snapshot` is dropped.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar
from urllib.parse import unquote, urlsplit

from allsmi_py.errors import UsageError

DEFAULT_PORT = 9090
MAX_UNIX_PATH_BYTES = 107  # sockaddr_un.sun_path: 108 bytes with the NUL
UNIX_HTTP_BASE = "http://localhost"  # what requests over a unix socket name as their URL
MAX_HOSTFILE_BYTES = 10_000_000
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_-]{1,63})*\.?$")


@dataclass(frozen=True, slots=True)
class Target:
    """One node to scrape: a display address and the base URL of its exporter."""

    address: str  # "host:port" as shown to the user, or the URL when it carries more
    base_url: str  # scheme://host:port[/prefix] or unix:///path, no trailing slash; the key
    unix_socket: str | None = None  # the socket's path, for a unix:// node

    @property
    def http_base(self) -> str:
        """What request URLs start with (over a unix socket the host part is only a name)."""
        return UNIX_HTTP_BASE if self.unix_socket is not None else self.base_url

    @property
    def metrics_url(self) -> str:
        """URL of the Prometheus text endpoint."""
        return self.http_base + "/metrics"

    @property
    def snapshot_url(self) -> str:
        """URL of our JSON snapshot endpoint."""
        return self.http_base + "/snapshot"


@dataclass(frozen=True, slots=True)
class HostList:
    """Parsed targets plus the problems found on the way (line number, text, reason)."""

    targets: tuple[Target, ...]
    problems: tuple[str, ...] = field(default=())


_NO_CREDENTIALS = ("credentials in host specs are not supported: give a bearer token as "
                   "view.auth_token in the config file or ALLSMI_AUTH_TOKEN")


def parse_host(text: str) -> Target:
    """One host spec to a Target; ValueError with the reason when it is not valid."""
    spec = text.strip()
    if not spec:
        raise ValueError("empty host")
    if "://" in spec:
        return _from_url(spec)
    if spec[:5].lower() == "unix:" and not spec[5:].isdigit():  # a host named unix may have a port
        raise ValueError("write a unix socket as unix:///absolute/path.sock")
    if "@" in spec:
        raise ValueError(_NO_CREDENTIALS)
    host, port = _split_host_port(spec)
    return _target("http", host, port, "")


def _from_url(spec: str) -> Target:
    if spec[:7].lower() == "unix://":
        return _from_unix_url(spec)
    parts = urlsplit(spec)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"unsupported scheme {parts.scheme!r} (use http, https or unix)")
    if parts.username or parts.password:
        raise ValueError(_NO_CREDENTIALS)
    if not parts.netloc:
        raise ValueError("URL has no host")
    host, port = _split_host_port(parts.netloc, default=443 if scheme == "https" else DEFAULT_PORT)
    path = parts.path.rstrip("/")
    for endpoint in ("/metrics", "/snapshot"):
        if path.endswith(endpoint):
            path = path[: -len(endpoint)]
    return _target(scheme, host, port, path)


def _from_unix_url(spec: str) -> Target:
    """`unix:///path/to.sock` to a Target; the path must be absolute and fit sun_path."""
    rest = spec[7:]
    if not rest.startswith("/"):
        raise ValueError("a unix socket needs an absolute path: unix:///path/to.sock")
    if "?" in rest or "#" in rest:
        raise ValueError("unix:// takes a socket path only, no query or fragment")
    try:
        path = unquote(rest, errors="strict")
    except UnicodeDecodeError:
        raise ValueError("unix socket path has a %-escape that is not UTF-8") from None
    if "\0" in path:
        raise ValueError("unix socket path contains a NUL byte")
    size = len(os.fsencode(path))
    if size > MAX_UNIX_PATH_BYTES:
        raise ValueError(f"unix socket path is {size} bytes; at most {MAX_UNIX_PATH_BYTES} fit")
    url = "unix://" + path
    return Target(address=url, base_url=url, unix_socket=path)


def _split_host_port(spec: str, default: int = DEFAULT_PORT) -> tuple[str, int]:
    if spec.startswith("["):
        end = spec.find("]")
        if end < 0:
            raise ValueError("missing ']' after IPv6 address")
        host, rest = spec[1:end], spec[end + 1:]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"{host!r} is not an IPv6 address") from None
        if not rest:
            return host, default
        if not rest.startswith(":"):
            raise ValueError(f"unexpected {rest!r} after ']'")
        return host, _port(rest[1:])
    if spec.count(":") > 1:
        raise ValueError("IPv6 addresses need brackets: [addr]:port")
    host, sep, port_text = spec.partition(":")
    if not _HOSTNAME.match(host):
        raise ValueError(f"{host!r} is not a valid host name")
    return host, _port(port_text) if sep else default


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"bad port {text!r}")
    return int(text)


def _target(scheme: str, host: str, port: int, path: str) -> Target:
    netloc_host = f"[{host}]" if ":" in host else host
    netloc = f"{netloc_host}:{port}"
    base = f"{scheme}://{netloc}{path}"
    plain = scheme == "http" and not path
    return Target(address=netloc if plain else base, base_url=base)


class Keyed(Protocol):
    """A parsed host line: what makes two lines the same node."""

    @property
    def base_url(self) -> str: ...


K = TypeVar("K", bound=Keyed)


def parse_each(lines: Iterable[str], parse: Callable[[str], K], source: str,
               shown: Callable[[str], str]) -> tuple[tuple[K, ...], tuple[str, ...]]:
    """Each line through `parse` (`#` starts a comment); a line it refuses (ValueError) is a
    problem naming the line, as `shown` prints it; a repeated node keeps its first line."""
    targets: dict[str, K] = {}
    problems: list[str] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        try:
            target = parse(line)
        except ValueError as exc:
            problems.append(f"{source} line {number}: {shown(line)!r}: {exc}")
            continue
        targets.setdefault(target.base_url, target)
    return tuple(targets.values()), tuple(problems)


def parse_lines(lines: Iterable[str], source: str = "--hosts") -> HostList:
    """Parse host specs; bad ones become problems (with line numbers), duplicates are dropped."""
    return HostList(*parse_each(lines, parse_host, source, redact_credentials))


# The user part of a URL, or of a scheme-less `user:password@host`, up to its `@`.
_USERINFO = re.compile(r"(^|://|[\s'\"(=,])([^/@\s'\"]+)@")


def redact_credentials(text: str) -> str:
    """`text` with the password (or a lone token) of any user part shown as ***."""
    def mask(match: re.Match[str]) -> str:
        user, sep, _ = match[2].partition(":")
        return f"{match[1]}{user}:***@" if sep else f"{match[1]}***@"
    return _USERINFO.sub(mask, text)


def split_hosts_flag(values: Sequence[str]) -> list[str]:
    """`--hosts a,b --hosts c` and `--hosts "a b"` to ["a", "b", "c"]."""
    out: list[str] = []
    for value in values:
        out.extend(part for part in re.split(r"[,\s]+", value) if part)
    return out


def read_host_lines(path: str | os.PathLike[str], what: str = "hostfile") -> tuple[str, list[str]]:
    """(the file's name, its lines); UsageError naming `what` when it cannot be read or is
    larger than MAX_HOSTFILE_BYTES."""
    file = Path(path).expanduser()
    try:
        if file.stat().st_size > MAX_HOSTFILE_BYTES:
            raise UsageError(f"{what} {file} is larger than {MAX_HOSTFILE_BYTES} bytes")
        text = file.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise UsageError(f"cannot read {what} {file}: {exc.strerror or exc}") from None
    return str(file), text.splitlines()


def read_hostfile(path: str | os.PathLike[str]) -> HostList:
    """Parse a hostfile; UsageError when it cannot be read or is too large."""
    name, lines = read_host_lines(path)
    return parse_lines(lines, source=name)


def load_targets(hosts: Sequence[str] = (), hostfile: str | None = None) -> HostList:
    """Targets from --hosts then --hostfile; UsageError when none is valid."""
    flag = parse_lines(split_hosts_flag(hosts), source="--hosts")
    merged: dict[str, Target] = {t.base_url: t for t in flag.targets}
    problems = list(flag.problems)
    if hostfile:
        from_file = read_hostfile(hostfile)
        for target in from_file.targets:
            merged.setdefault(target.base_url, target)
        problems.extend(from_file.problems)
    if not merged:
        where = " and ".join(w for w, on in (("--hosts", hosts), (f"hostfile {hostfile}", hostfile))
                             if on) or "the command line"
        detail = f": {problems[0]}" if problems else ""
        raise UsageError(f"no valid host in {where}{detail}; give host, host:port or a URL")
    return HostList(tuple(merged.values()), tuple(problems))


class HostfileWatcher:
    """Re-reads a hostfile when its mtime or size changes; keeps the last list if it vanishes."""

    def __init__(self, path: str | os.PathLike[str], extra: Sequence[Target] = ()) -> None:
        """Read the file now; UsageError when it holds no valid host (and `extra` is empty)."""
        self.path = Path(path).expanduser()
        self._extra = tuple(extra)
        self._stamp = self._stat()
        first = read_hostfile(self.path)
        self._targets = self._merge(first.targets)
        self.problems: tuple[str, ...] = first.problems
        if not self._targets:
            raise UsageError(f"no valid host in hostfile {self.path}")

    @property
    def targets(self) -> tuple[Target, ...]:
        """The current list (the command-line hosts first)."""
        return self._targets

    def _stat(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size

    def _merge(self, from_file: Sequence[Target]) -> tuple[Target, ...]:
        merged = {t.base_url: t for t in self._extra}
        for target in from_file:
            merged.setdefault(target.base_url, target)
        return tuple(merged.values())

    def refresh(self) -> bool:
        """Re-read when changed; True when the target list changed. Never raises."""
        stamp = self._stat()
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        if stamp is None:
            self.problems = (f"hostfile {self.path} is gone; keeping the last {len(self._targets)}"
                             " hosts",)
            return False
        try:
            parsed = read_hostfile(self.path)
        except UsageError as exc:
            self.problems = (f"{exc}; keeping the last {len(self._targets)} hosts",)
            return False
        self.problems = parsed.problems
        if not parsed.targets:
            self.problems += (f"hostfile {self.path} has no valid host; keeping the last list",)
            return False
        new = self._merge(parsed.targets)
        changed = new != self._targets
        self._targets = new
        return changed
