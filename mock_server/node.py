"""One simulated node: a mock backend and host behind the exporter's own ASGI app.

Values move in steps of `interval_s`. A node renders lazily: the first request of a path
after a step builds the snapshot and asks the exporter's app for the answer once (status,
headers and body, so nothing can drift from `allsmi api`), and every later request of that
step gets the cached bytes. A node's state at step k depends only on (seed, name, k), never on when
it was scraped, so the same seed always serves the same bodies.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable

from allsmi_py import __version__
from allsmi_py.exporter.app import make_app
from allsmi_py.exporter.render import TEXT_CONTENT_TYPE
from allsmi_py.model import BackendStatus, DeviceReading, NodeSnapshot
from backends.mock.backend import MockBackend
from mock_server.asgi import call_app
from mock_server.host import HostSimulator, host_profile_for
from mock_server.http import Reply, make_reply, text_reply
from mock_server.plan import Fault, NodePlan

HUGE_BODY_BYTES = 256 * 1024 * 1024
# What a scrape of a snapshot costs a real collector; shown in the backend status.
READ_DURATION_S = 0.004


class SimNode:
    """A simulated node's state, its cached replies and its injected fault."""

    def __init__(
        self,
        plan: NodePlan,
        seed: int,
        interval_s: float,
        epoch_s: float,
        include_processes: bool,
        step_of: Callable[[], int],
    ) -> None:
        self.plan = plan
        self.name = plan.name
        self.port = plan.port
        self.fault: Fault | None = plan.fault
        self.up = plan.fault is None or plan.fault.kind != "down"
        self.interval_s = interval_s
        self.epoch_s = epoch_s
        self.include_processes = include_processes
        self.step_of = step_of
        self.backend = MockBackend(plan.spec, seed=seed, node=plan.name, start_time_s=epoch_s)
        self.host = HostSimulator(host_profile_for(plan.spec), f"{seed}:{plan.name}:host", epoch_s)
        self.garbage = random.Random(f"{seed}:{plan.name}:garbage").randbytes(4096)
        self.requests = 0
        self._step = 0
        self._snapshot: NodeSnapshot | None = None
        self._replies: dict[tuple[str, str, bool], Reply] = {}
        self.app = make_app(self.snapshot, include_processes=include_processes)
        # "allsmi first ran" at the epoch: the simulated counters' rise since then is what
        # a node's meter would have integrated (all_smi_energy_consumed_joules_total)
        self._energy_base = {d.uuid: d.energy_j for d in self.backend.readings()}

    def snapshot(self) -> NodeSnapshot:
        """The node at the cluster's current step, built at most once per step."""
        step = self.step_of()
        if self._snapshot is None or self._step != step:
            while self._step < step:
                self.backend.advance(self.interval_s)
                self.host.advance(self.interval_s)
                self._step += 1
            devices = [self._metered(d) for d in self.backend.readings()]
            taken_at_s = self.epoch_s + step * self.interval_s
            status = BackendStatus(
                "mock", "ok", self.backend.status_message(), READ_DURATION_S, len(devices),
                last_ok_at_s=taken_at_s,
            )
            self._snapshot = NodeSnapshot(
                self.name,
                taken_at_s,
                tuple(devices),
                self.host.reading(),
                (status,),
                __version__,
                self.backend.topology(),
            )
            self._replies.clear()
        return self._snapshot

    def _metered(self, device: DeviceReading) -> DeviceReading:
        base = self._energy_base.get(device.uuid)
        if base is None or device.energy_j is None:
            return device
        return dataclasses.replace(device, energy_consumed_j=max(0.0, device.energy_j - base))

    def handle(self, method: str, target: str, headers: dict[str, str]) -> Reply:
        """Answer one request: the exporter's endpoints, bent by this node's fault."""
        self.requests += 1
        fault = self.fault
        kind = fault.kind if fault is not None else None
        if kind == "timeout":
            return Reply(b"", b"", mode="hang")
        if kind == "500":
            return text_reply(500, f"{self.name}: injected failure (--fail-500)\n")
        if kind == "garbage":
            return make_reply(200, self.garbage, TEXT_CONTENT_TYPE)
        if kind == "huge":
            head = make_reply(200, b"", TEXT_CONTENT_TYPE).head.replace(
                b"content-length: 0", f"content-length: {HUGE_BODY_BYTES}".encode()
            )
            return Reply(head, b"", mode="stream", stream_bytes=HUGE_BODY_BYTES)
        reply = self._route(method, target, headers)
        if kind == "slow" and fault is not None:
            return Reply(reply.head, reply.body, delay_s=fault.seconds)
        if kind == "truncated":
            return Reply(reply.head, reply.body, mode="truncate")
        return reply  # healthy, or down/flap (which act on the listening socket)

    def _route(self, method: str, target: str, headers: dict[str, str]) -> Reply:
        path, _, query = target.partition("?")
        if method == "HEAD":
            method = "GET"  # same head; the protocol leaves the body out
        if path not in CACHED_PATHS:
            return call_app(self.app, method, path, query, headers, self.port)
        key = (method, path, "application/openmetrics-text" in headers.get("accept", ""))
        self.snapshot()  # clears the cache when the step moved
        reply = self._replies.get(key)
        if reply is None:
            reply = self._replies[key] = call_app(self.app, method, path, query, headers, self.port)
        return reply


CACHED_PATHS = frozenset({"/metrics", "/snapshot", "/-/ready", "/ready", "/healthz"})
