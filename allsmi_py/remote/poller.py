"""The cluster from its nodes: rounds within one deadline, or every node on its own schedule.

`poll_once` reads every node within one round deadline (`allsmi snapshot --hosts`); `live`
and `current` read each node on its own schedule (schedule.py) for the view. The TUI's view
mode codes against `ClusterPoller`; keep its public names stable.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import time
from collections.abc import Sequence

from allsmi_py.model import ClusterNode, ClusterSnapshot
from allsmi_py.remote.client import DEFAULT_MAX_BODY_BYTES, ScrapeClient
from allsmi_py.remote.hosts import (
    HostfileWatcher,
    Target,
    load_targets,
    parse_lines,
    split_hosts_flag,
)
from allsmi_py.remote.schedule import NodeSchedule, ScheduledSource

AUTH_ENV = "ALLSMI_AUTH_TOKEN"


class ClusterPoller(ScheduledSource):
    """Reads every node of a cluster once per `poll_once`, within a round deadline."""

    def __init__(self, hosts: Sequence[str] = (), hostfile: str | None = None, *,
                 timeout_s: float = 5.0, concurrency: int = 256,
                 max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, auth_token: str | None = None,
                 round_deadline_s: float | None = None, prefer_json: bool = True,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        """Hosts from flags and/or a hostfile (UsageError when none is valid); seconds, bytes."""
        self._watcher: HostfileWatcher | None = None
        if hostfile:
            flag_targets = parse_lines(split_hosts_flag(hosts)).targets
            self._watcher = HostfileWatcher(hostfile, extra=flag_targets)
            self._static: tuple[Target, ...] = ()
            self._problems = load_targets(hosts, hostfile).problems
        else:
            loaded = load_targets(hosts)
            self._static = loaded.targets
            self._problems = loaded.problems
        token = auth_token or os.environ.get(AUTH_ENV) or None
        self.timeout_s = timeout_s
        self.round_deadline_s = timeout_s if round_deadline_s is None else round_deadline_s
        self.concurrency = max(1, concurrency)
        self._client = ScrapeClient(timeout_s=timeout_s, concurrency=self.concurrency,
                                    max_body_bytes=max_body_bytes, auth_token=token,
                                    prefer_json=prefer_json, ssl_context=ssl_context)
        self._semaphore: asyncio.Semaphore | None = None

    @property
    def targets(self) -> tuple[Target, ...]:
        """The nodes of the next round."""
        return self._watcher.targets if self._watcher is not None else self._static

    @property
    def problems(self) -> tuple[str, ...]:
        """Bad host lines and hostfile trouble, for the UI to show."""
        return self._watcher.problems if self._watcher is not None else self._problems

    def new_schedule(self, interval_s: float) -> NodeSchedule:
        """Every target through this poller's client, the hostfile re-read as it changes."""
        return NodeSchedule(
            self._client, lambda: self.targets, interval_s=interval_s,
            concurrency=self.concurrency,
            refresh=self._watcher.refresh if self._watcher is not None else lambda: False)

    async def poll_once(self) -> ClusterSnapshot:
        """One round over all nodes; nodes not done by the deadline count as timed out."""
        if self._watcher is not None and self._watcher.refresh():
            self._client.forget_except({t.base_url for t in self._watcher.targets})
        targets = self.targets
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.concurrency)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.round_deadline_s
        # Nodes that failed last round go last, so they cannot hold the in-flight slots
        # that healthy nodes are queued for.
        order = sorted(range(len(targets)), key=lambda i: self._client.known_bad(targets[i]))
        tasks = {i: asyncio.create_task(self._one(targets[i], deadline)) for i in order}
        try:
            done, pending = await asyncio.wait(tasks.values(),
                                               timeout=max(0.0, deadline - loop.time()))
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        except BaseException:
            for task in tasks.values():
                task.cancel()
            raise
        nodes = []
        for i, target in enumerate(targets):
            task = tasks[i]
            if task.cancelled() or task.exception() is not None:
                nodes.append(self._client.timed_out(target))
            else:
                nodes.append(task.result())
        return ClusterSnapshot(taken_at_s=time.time(), nodes=tuple(nodes))

    async def _one(self, target: Target, deadline: float) -> ClusterNode:
        assert self._semaphore is not None
        async with self._semaphore:
            return await self._client.fetch(target, deadline)

    async def close(self) -> None:
        """Close the HTTP session."""
        await self._client.close()


