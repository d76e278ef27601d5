"""The cluster over SSH, without an agent on the nodes: `allsmi view --ssh user@host,...`.

Each host keeps one asyncssh connection (ssh_session.py), opened on first use and again,
with backoff, after it failed or was lost. On it, each read runs the first command of
SOURCES the host has, found once and remembered: our `allsmi snapshot --format json`,
all-smi's, `nvidia-smi --query-gpu`, `rocm-smi --json`. A command the shell cannot find
(exit 127) or that fails moves on to the next; output that does not decode is `bad_payload`.
The row says which one answered (NodeStatus.source "ssh:allsmi", "ssh:nvidia-smi", ...).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

import asyncssh

from allsmi_py.model import ClusterNode, ClusterSnapshot, NodeSnapshot, NodeStatus
from allsmi_py.remote.schedule import NodeSchedule, ScheduledSource
from allsmi_py.remote.ssh_all_smi import all_smi_snapshot
from allsmi_py.remote.ssh_hosts import (
    SshHostfileWatcher,
    SshHostList,
    SshTarget,
    load_ssh_targets,
)
from allsmi_py.remote.ssh_parse import (
    NVIDIA_SMI_COMMAND,
    ROCM_SMI_COMMAND,
    Decoder,
    SshPayloadError,
    allsmi_snapshot,
    nvidia_smi_snapshot,
    rocm_smi_snapshot,
)
from allsmi_py.remote.ssh_session import (
    NOT_FOUND,
    SshFailure,
    SshOptions,
    open_connection,
    run_capped,
)

BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)  # wait before reconnect attempt n (then the last)
CLOSE_WAIT_S = 2.0  # for hosts to acknowledge our disconnect before the sockets are cut
UNSUPPORTED = "unsupported"  # NodeStatus state: none of SOURCES answered on the host
NO_HOST_KEY_CHECK = ("host keys are not checked (--ssh-strict-host-key no): anyone on the way "
                     "can pose as a host")


@dataclass(frozen=True, slots=True)
class SshCommand:
    """One way to read a host: what to run, how to decode it, the name the row shows."""

    source: str
    command: str
    decode: Decoder


SOURCES = (
    SshCommand("ssh:allsmi", "allsmi snapshot --format json", allsmi_snapshot),
    SshCommand("ssh:all-smi", "all-smi snapshot --format json --include gpu,cpu,memory,chassis",
               all_smi_snapshot),
    SshCommand("ssh:nvidia-smi", NVIDIA_SMI_COMMAND, nvidia_smi_snapshot),
    SshCommand("ssh:rocm-smi", ROCM_SMI_COMMAND, rocm_smi_snapshot),
)


@dataclass(slots=True)
class _Host:
    """What is kept about one host between reads."""

    connection: asyncssh.SSHClientConnection | None = None
    source: SshCommand | None = None  # the command that answered last
    snapshot: NodeSnapshot | None = None
    last_ok_at_s: float | None = None
    last_state: str | None = None
    failures: int = 0  # connection attempts failed in a row
    retry_at: float = 0.0  # loop time before which no new connection is tried
    refusal: SshFailure | None = None  # why the last connection attempt failed


class SshReader:
    """Reads hosts over one connection each; `fetch` never raises."""

    def __init__(self, options: SshOptions) -> None:
        """Connect and command limits come with `options`."""
        self.options = options
        self._hosts: dict[str, _Host] = {}
        self.connections_opened = 0  # every successful login, for tests and the benchmark

    def _host(self, target: SshTarget) -> _Host:
        host = self._hosts.get(target.base_url)
        if host is None:
            host = self._hosts[target.base_url] = _Host()
        return host

    def forget_except(self, keep: set[str]) -> None:
        """Drop, and disconnect, the hosts no longer watched (by base_url)."""
        for key in [k for k in self._hosts if k not in keep]:
            connection = self._hosts.pop(key).connection
            if connection is not None:
                connection.close()

    async def fetch(self, target: SshTarget) -> ClusterNode:
        """Read one host; every outcome becomes a NodeStatus, the last snapshot kept."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        host = self._host(target)
        try:
            snapshot, command = await self._read(target, host)
        except SshFailure as failure:
            return self._failed(target, host, failure.state, failure.error,
                                loop.time() - started)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the one place a surprise becomes a status
            self._drop(host)
            return self._failed(target, host, "bad_payload", f"{type(exc).__name__}: {exc}",
                                loop.time() - started)
        host.snapshot, host.source, host.last_ok_at_s = snapshot, command, time.time()
        host.last_state = "ok"
        status = NodeStatus(address=target.address, state="ok", latency_s=loop.time() - started,
                            last_ok_at_s=host.last_ok_at_s, source=command.source)
        return ClusterNode(status, snapshot)

    def _failed(self, target: SshTarget, host: _Host, state: str, error: str,
                latency_s: float | None) -> ClusterNode:
        host.last_state = state
        status = NodeStatus(address=target.address, state=state, error=error,
                            latency_s=latency_s, last_ok_at_s=host.last_ok_at_s,
                            source=host.source.source if host.source else None)
        return ClusterNode(status, host.snapshot)

    async def _connection(self, target: SshTarget,
                          host: _Host) -> tuple[asyncssh.SSHClientConnection, bool]:
        """The host's connection and whether it is a fresh one; SshFailure while backing off."""
        if host.connection is not None:
            return host.connection, False
        loop = asyncio.get_running_loop()
        if host.refusal is not None and loop.time() < host.retry_at:
            raise host.refusal
        try:
            host.connection = await open_connection(target, self.options)
        except SshFailure as failure:
            host.refusal = failure
            host.retry_at = loop.time() + BACKOFF_S[min(host.failures, len(BACKOFF_S) - 1)]
            host.failures += 1
            raise
        host.failures, host.refusal = 0, None
        self.connections_opened += 1
        return host.connection, True

    @staticmethod
    def _drop(host: _Host) -> None:
        if host.connection is not None:
            host.connection.close()
            host.connection = None

    async def _run(self, target: SshTarget, host: _Host,
                   command: str) -> tuple[int | None, bytes]:
        retried = False
        while True:
            connection, fresh = await self._connection(target, host)
            try:
                return await run_capped(connection, command, self.options)
            except SshFailure as failure:
                if failure.dead_connection:
                    self._drop(host)
                raise
            except (asyncssh.Error, OSError) as exc:
                self._drop(host)
                if fresh or retried:
                    raise SshFailure("unreachable", f"ssh connection lost: {exc}") from None
                retried = True  # a kept connection the host has since closed: one new one

    async def _read(self, target: SshTarget, host: _Host) -> tuple[NodeSnapshot, SshCommand]:
        # The command that answered last goes first; the rest keep their order.
        order = [c for c in SOURCES if c is host.source] + [c for c in SOURCES
                                                           if c is not host.source]
        tried: list[str] = []
        for candidate in order:
            try:
                status, output = await self._run(target, host, candidate.command)
            except SshFailure as failure:
                if failure.state == "too_large":
                    raise SshFailure("too_large",
                                     f"{candidate.source}: {failure.error}") from None
                raise
            name = candidate.command.split()[0]
            if status == NOT_FOUND:
                tried.append(f"{name}: not found")
                continue
            if status != 0:
                tried.append(f"{name}: exit status {status}")
                continue
            try:
                return candidate.decode(output, target.host), candidate
            except SshPayloadError as exc:
                raise SshFailure("bad_payload", f"{candidate.source}: {exc}") from None
        raise SshFailure(UNSUPPORTED, "nothing to read: " + "; ".join(tried))

    async def close(self) -> None:
        """Close every connection."""
        connections = [h.connection for h in self._hosts.values() if h.connection is not None]
        for host in self._hosts.values():
            host.connection = None
        for connection in connections:
            connection.close()
        if not connections:
            return
        try:
            await asyncio.wait_for(asyncio.gather(*(c.wait_closed() for c in connections)),
                                   CLOSE_WAIT_S)
        except asyncio.TimeoutError:
            for connection in connections:  # a host that stopped answering: no goodbye
                connection.abort()


class SshSource(ScheduledSource):
    """The cluster read over SSH: one round on demand, or each host on its own schedule."""

    def __init__(self, specs: Sequence[str] = (), hostfile: str | None = None, *,
                 options: SshOptions | None = None, concurrency: int = 32) -> None:
        """Hosts from --ssh and/or --ssh-hostfile, re-read when it changes (UsageError when
        none is valid)."""
        self._watcher = SshHostfileWatcher(specs, hostfile) if hostfile else None
        self._listed: SshHostfileWatcher | SshHostList = self._watcher or load_ssh_targets(specs)
        self.options = options or SshOptions()
        self.concurrency = max(1, concurrency)
        self.reader = SshReader(self.options)
        self._warnings = (NO_HOST_KEY_CHECK,) if self.options.strict_host_key == "no" else ()

    @property
    def targets(self) -> tuple[SshTarget, ...]:
        """The hosts of the next read."""
        return self._listed.targets

    @property
    def problems(self) -> tuple[str, ...]:
        """The warning when host keys are not checked, then bad host lines."""
        return (*self._warnings, *self._listed.problems)

    def _refresh(self) -> bool:
        return self._watcher is not None and self._watcher.refresh()

    async def poll_once(self) -> ClusterSnapshot:
        """Every host once, `concurrency` at a time; never raises for a host's fault."""
        if self._refresh():
            self.reader.forget_except({t.base_url for t in self.targets})
        semaphore = asyncio.Semaphore(self.concurrency)

        async def one(target: SshTarget) -> ClusterNode:
            async with semaphore:
                return await self.reader.fetch(target)

        nodes = await asyncio.gather(*(one(t) for t in self.targets))
        return ClusterSnapshot(taken_at_s=time.time(), nodes=tuple(nodes))

    def new_schedule(self, interval_s: float) -> NodeSchedule:
        """Every host through this source's connections, the hostfile re-read as it changes."""
        return NodeSchedule(self.reader, lambda: self.targets, interval_s=interval_s,
                            concurrency=self.concurrency, refresh=self._refresh)

    async def close(self) -> None:
        """Close every connection."""
        await self.reader.close()
