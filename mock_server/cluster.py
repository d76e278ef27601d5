"""All nodes of one mock process: their sockets, the value clock, flapping, and shutdown.

Every port is bound before anything is served, so a port in use fails start-up with nothing
half-started. A node that is down keeps its port bound but not listening: connections are
refused, and the port cannot be taken by someone else (or by our own next OS-chosen port).
"""

from __future__ import annotations

import asyncio
import errno
import socket
from collections.abc import Coroutine, Iterable
from typing import Any

from allsmi_py.errors import UsageError
from mock_server.http import Handler, HttpProtocol, Site
from mock_server.node import SimNode
from mock_server.plan import NodePlan

BACKLOG = 128
SWEEP_EVERY_S = 1.0  # a fifth of the header timeout (mock_server.http.HEADER_TIMEOUT_S)


def bind_socket(host: str, port: int) -> socket.socket:
    """A bound, not yet listening TCP socket; OSError when the port cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def bind_error(exc: OSError, host: str, port: int, what: str) -> UsageError:
    """A one-line error for a port we cannot bind, saying how to fix it."""
    if exc.errno == errno.EADDRINUSE:
        return UsageError(
            f"port {port} ({what}) on {host} is already in use: pick a free "
            "range with --port-range/--start-port, or stop what holds it"
        )
    if exc.errno == errno.EMFILE:
        return UsageError(
            "out of open files while binding ports: raise `ulimit -n` or run fewer --nodes"
        )
    return UsageError(f"cannot bind {host}:{port} ({what}): {exc.strerror}; check --bind")


class Cluster:
    """The simulated nodes, each on its own port, plus the admin port."""

    def __init__(
        self,
        plans: Iterable[NodePlan],
        *,
        seed: int,
        interval_s: float,
        epoch_s: float,
        bind: str,
        include_processes: bool = False,
    ) -> None:
        self.step = 0
        self.interval_s = interval_s
        self.host = bind
        self.nodes = [
            SimNode(p, seed, interval_s, epoch_s, include_processes, self.current_step)
            for p in plans
        ]
        self.by_name = {node.name: node for node in self.nodes}
        self.sites = {node.name: Site(node.handle) for node in self.nodes}
        self._sockets: dict[str, socket.socket] = {}
        self._servers: dict[str, asyncio.Server] = {}
        self._tasks: set[asyncio.Task[object]] = set()
        self._flapping: dict[str, asyncio.Task[object]] = {}
        self.admin_port = 0
        self.admin_site: Site | None = None

    def current_step(self) -> int:
        """How many value steps have passed since start."""
        return self.step

    def bind_all(self, admin_port: int | None) -> None:
        """Bind every node's port (and the admin port); on failure close them all and raise."""
        try:
            for node in self.nodes:
                try:
                    sock = bind_socket(self.host, node.port)
                except OSError as exc:
                    raise bind_error(exc, self.host, node.port, node.name) from None
                self._sockets[node.name] = sock
                node.port = sock.getsockname()[1]
            if admin_port is not None:
                try:
                    sock = bind_socket(self.host, admin_port)
                except OSError as exc:
                    raise bind_error(exc, self.host, admin_port, "--admin-port") from None
                self._sockets["-admin"] = sock
                self.admin_port = sock.getsockname()[1]
        except BaseException:
            self.close_sockets()
            raise

    def close_sockets(self) -> None:
        """Close every socket we hold (listening or reserved)."""
        for sock in self._sockets.values():
            sock.close()
        self._sockets.clear()

    async def start(self, admin: Handler | None) -> None:
        """Listen on every node that is up and on the admin port; start the clocks."""
        if admin is not None and "-admin" in self._sockets:
            self.admin_site = Site(admin)
            await self._listen("-admin", self.admin_site)
        for node in self.nodes:
            if node.up:
                await self._listen(node.name, self.sites[node.name])
        self._spawn(self._ticker())
        self._spawn(self._sweeper())
        for node in self.nodes:
            if node.fault is not None and node.fault.kind == "flap":
                self.start_flapping(node)

    def _spawn(self, coro: Coroutine[Any, Any, object]) -> asyncio.Task[object]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _listen(self, key: str, site: Site) -> None:
        sock = self._sockets.pop(key)
        sock.listen(BACKLOG)
        loop = asyncio.get_running_loop()
        self._servers[key] = await loop.create_server(lambda: HttpProtocol(site), sock=sock)

    def set_up(self, name: str) -> None:
        """Start answering on the node's port again."""
        node = self.by_name[name]
        if node.up:
            return
        node.up = True
        self._sockets[name].listen(BACKLOG)  # queue connections until the server is attached
        self._spawn(self._listen(name, self.sites[name]))

    def set_down(self, name: str) -> None:
        """Refuse connections on the node's port and drop open ones; keep the port reserved."""
        node = self.by_name[name]
        if not node.up:
            return
        node.up = False
        server = self._servers.pop(name, None)
        if server is not None:
            server.close()
        self.sites[name].close_connections()
        try:
            self._sockets[name] = bind_socket(self.host, node.port)
        except OSError:
            pass  # the port was taken while listening stopped: the node stays down

    def advance(self) -> int:
        """Move every node's values one step (the nodes catch up lazily); the new step."""
        self.step += 1
        return self.step

    async def _ticker(self) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        while True:
            await asyncio.sleep(max(0.0, start + (self.step + 1) * self.interval_s - loop.time()))
            self.advance()

    def start_flapping(self, node: SimNode) -> None:
        """Take the node down and up in turns while its fault is flap."""
        task = self._flapping.get(node.name)
        if task is None or task.done():
            self._flapping[node.name] = self._spawn(self._flap(node))

    async def _flap(self, node: SimNode) -> None:
        while node.fault is not None and node.fault.kind == "flap":
            await asyncio.sleep(node.fault.seconds)
            if node.fault is not None and node.fault.kind == "flap":
                (self.set_down if node.up else self.set_up)(node.name)
        self.set_up(node.name)  # its new fault (or none) shows only while it listens

    async def _sweeper(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(SWEEP_EVERY_S)
            now = loop.time()
            for site in [*self.sites.values(), *([self.admin_site] if self.admin_site else [])]:
                site.sweep(now)

    async def close(self) -> None:
        """Stop the clocks, close every listener and connection, release every port."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for server in self._servers.values():
            server.close()
        for site in [*self.sites.values(), *([self.admin_site] if self.admin_site else [])]:
            site.close_connections()
        for server in self._servers.values():
            await server.wait_closed()
        self._servers.clear()
        self.close_sockets()
