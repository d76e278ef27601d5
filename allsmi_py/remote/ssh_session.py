"""One asyncssh connection to one host: host key policy, key auth only, capped commands.

Host keys (`--ssh-strict-host-key`): `yes` accepts only a key known_hosts has for the host;
`accept-new` adds an unknown host's key to known_hosts and refuses a changed one; `no`
accepts any key (the caller warns). Authentication is by key only: the agent
(SSH_AUTH_SOCK) and ~/.ssh/id_* by default, or the files of --ssh-key; a password or a
passphrase is never asked for, and no message here carries key material.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import asyncssh

from allsmi_py.remote.ssh_hosts import SSH_PORT, SshTarget
from allsmi_py.remote.ssh_names import HOST_KEY_REFUSED

CHUNK_BYTES = 1 << 16
NOT_FOUND = 127  # the shell's exit status for a command it cannot find
# asyncssh logs each connection at INFO; its debug levels can log packets. Neither is wanted.
logging.getLogger("asyncssh").setLevel(logging.WARNING)


class SshFailure(Exception):
    """A connection or command that did not give output: `state` and a line for the row."""

    def __init__(self, state: str, error: str) -> None:
        super().__init__(error)
        self.state = state
        self.error = error
        self.dead_connection = False  # the connection, not just the command, stopped answering


@dataclass(frozen=True, slots=True)
class SshOptions:
    """How to connect: host key policy, keys, and limits (seconds, bytes)."""

    strict_host_key: str = "yes"
    known_hosts: str = "~/.ssh/known_hosts"
    keys: tuple[str, ...] = ()  # private key files; empty: the agent and ~/.ssh/id_*
    connect_timeout_s: float = 10.0
    command_timeout_s: float = 5.0
    max_output_bytes: int = 10_000_000
    use_agent: bool = True  # tests turn it off so that nothing outside them is read

    @property
    def known_hosts_path(self) -> Path:
        """The known_hosts file, ~ expanded."""
        return Path(self.known_hosts).expanduser()


def _pattern(target: SshTarget) -> str:
    return target.host if target.port == SSH_PORT else f"[{target.host}]:{target.port}"


class _HostKeyCheck(asyncssh.SSHClient):
    """Decides on a host key known_hosts does not list for the host; notes why it refused."""

    def __init__(self, target: SshTarget, options: SshOptions,
                 known: asyncssh.SSHKnownHosts | None) -> None:
        self._target, self._options, self._known = target, options, known
        self.refusal: str | None = None

    def validate_host_public_key(self, host: str, addr: str, port: int,
                                 key: asyncssh.SSHKey) -> bool:
        path = self._options.known_hosts_path
        listed = self._known.match(host, addr, port)[0] if self._known is not None else []
        shown = self._target.address
        if listed:
            self.refusal = (f"{HOST_KEY_REFUSED}{shown} changed: it is not the one {path} lists; "
                            f"if the host was reinstalled, remove the old line "
                            f"(ssh-keygen -R '{_pattern(self._target)}' -f {path})")
            return False
        if self._options.strict_host_key != "accept-new":
            self.refusal = (f"{HOST_KEY_REFUSED}{shown} unknown: {path} has none for it "
                            f"(add it with ssh-keyscan, or use --ssh-strict-host-key accept-new)")
            return False
        try:
            _append_known_host(path, _pattern(self._target), key)
        except OSError as exc:
            self.refusal = f"cannot add the host key of {shown} to {path}: {exc.strerror or exc}"
            return False
        return True


def _append_known_host(path: Path, pattern: str, key: asyncssh.SSHKey) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    public = key.export_public_key("openssh").decode("ascii").split()
    line = f"{pattern} {public[0]} {public[1]}\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "a", encoding="ascii") as file:
        file.write(line)


def _read_known_hosts(options: SshOptions) -> asyncssh.SSHKnownHosts | None:
    path = options.known_hosts_path
    try:
        return asyncssh.read_known_hosts(str(path))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SshFailure("unreachable", f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise SshFailure("unreachable", f"cannot read {path}: not UTF-8 text") from None
    except ValueError:
        raise SshFailure("unreachable", f"cannot read {path}: a bad entry") from None


async def open_connection(target: SshTarget,
                          options: SshOptions) -> asyncssh.SSHClientConnection:
    """A logged-in connection to `target`; SshFailure with a clear line when there is none."""
    checking = options.strict_host_key != "no"
    known = _read_known_hosts(options) if checking else None
    check = _HostKeyCheck(target, options, known)
    # Empty lists, not None: asyncssh then asks check.validate_host_public_key about every
    # key known_hosts does not list (None would switch checking off).
    known_arg: object = (known if known is not None else ([], [], [])) if checking else None
    try:
        return await asyncssh.connect(
            target.host, target.port, username=target.user or None,
            client_factory=lambda: check, known_hosts=known_arg,
            client_keys=list(options.keys) if options.keys else (),
            agent_path=() if options.use_agent else None,
            preferred_auth="publickey", password=None, config=None,
            connect_timeout=options.connect_timeout_s, keepalive_interval=30,
            keepalive_count_max=3)
    except asyncssh.HostKeyNotVerifiable as exc:
        refusal = check.refusal or f"{HOST_KEY_REFUSED}{target.address} not trusted: {exc.reason}"
        raise SshFailure("unreachable", refusal) from None
    except asyncssh.PermissionDenied:
        raise SshFailure("unreachable", f"{target.address}: permission denied (publickey); "
                         "is the key in the user's authorized_keys?") from None
    except asyncssh.KeyImportError as exc:
        # The message names the file and the problem ("passphrase must be specified"), never
        # the key's bytes.
        raise SshFailure("unreachable", f"cannot load the ssh key: {exc}") from None
    except (asyncio.TimeoutError, TimeoutError):
        raise SshFailure("timeout", f"no ssh login within {options.connect_timeout_s:g} s") \
            from None
    except asyncssh.Error as exc:
        raise SshFailure("unreachable", f"ssh: {exc.reason}") from None
    except OSError as exc:
        raise SshFailure("unreachable", f"cannot connect: {exc.strerror or exc}") from None


async def run_capped(connection: asyncssh.SSHClientConnection, command: str,
                     options: SshOptions) -> tuple[int | None, bytes]:
    """(exit status, stdout) of `command`; SshFailure past the timeout or the output cap.

    A timeout before the host even opened the channel is `dead_connection` true: the
    connection itself no longer answers (a host that rebooted or a cut network, which
    keepalives notice only after minutes), and the caller opens a new one.
    """
    opened: list[bool] = []
    try:
        return await asyncio.wait_for(_run(connection, command, options.max_output_bytes,
                                           opened), options.command_timeout_s)
    except asyncio.TimeoutError:
        failure = SshFailure("timeout", f"no answer within {options.command_timeout_s:g} s")
        failure.dead_connection = not opened
        raise failure from None


async def _run(connection: asyncssh.SSHClientConnection, command: str, cap: int,
               opened: list[bool]) -> tuple[int | None, bytes]:
    process = await connection.create_process(command, stdin=asyncssh.DEVNULL,
                                              stderr=asyncssh.DEVNULL, encoding=None)
    opened.append(True)
    try:
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = await process.stdout.read(CHUNK_BYTES)
            if not chunk:
                break
            size += len(chunk)
            if size > cap:
                raise SshFailure("too_large", f"output exceeds {cap} bytes")
            chunks.append(chunk)
        await process.wait_closed()
        return process.exit_status, b"".join(chunks)
    finally:
        # Closes the channel (the remote command gets SIGHUP) without waiting for the host.
        process.close()
