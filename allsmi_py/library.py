"""This node for Python programs: `allsmi_py.collect()` and `allsmi_py.Collector`.

The same path as `allsmi snapshot` and `allsmi local`: the installed backends (entry points,
allsmi_py.plugins) or simulated devices (`mock="h100:8"`), and the host, read by the
collector. Bad arguments raise ValueError with the same one line the command prints.
"""

from __future__ import annotations

from collections.abc import Sequence

from allsmi_py.collector import Collector as CoreCollector
from allsmi_py.commands.sources import host_workloads, open_backends, requested_backends
from allsmi_py.errors import UsageError
from allsmi_py.host import HostReader
from allsmi_py.model import NodeSnapshot
from allsmi_py.settings import NUMBERS, NumberSetting, Range
from allsmi_py.workloads.pod_resources import SOCKET_PATH as POD_RESOURCES_SOCKET
from allsmi_py.workloads.pod_resources_watch import INTERVAL_S as POD_RESOURCES_INTERVAL_S

# What `allsmi snapshot` reads with: a tick gives each backend 0.8 s.
ONE_SHOT_INTERVAL_S = 1.0
DEADLINE = NumberSetting("deadline_s", float, Range(0, 3600.0, min_exclusive=True,
                                                    unit="seconds"))


class Collector(CoreCollector):
    """This node's collector: `with Collector() as c: for snapshot in c: ...`, one per interval.

    `mock` simulates devices instead of reading hardware ("h100:8", "h100:4,rngd:2");
    `backends` names the installed backends to read (default: all that can run here);
    `host=False` leaves out CPU, memory and disks. The backends are opened on the first
    tick and closed on leaving the `with` block (or by stop()).
    """

    def __init__(self, *, mock: str | None = None, backends: str | Sequence[str] = (),
                 seed: int | None = None, interval_s: float = 2.0,
                 deadline_s: float | None = None, host: bool = True) -> None:
        interval_s = NUMBERS["local.interval_s"].check(interval_s)
        if deadline_s is not None:
            deadline_s = DEADLINE.check(deadline_s)
        if seed is not None:
            seed = NUMBERS["mock.seed"].check(seed)
        if mock is not None and not isinstance(mock, str):
            raise ValueError(f"mock: expected a spec such as 'h100:8', got {mock!r:.40}")
        given = [backends] if isinstance(backends, str) else list(backends)
        if not all(isinstance(name, str) for name in given):
            raise ValueError(f"backends: expected backend names, got {given!r:.40}")
        names = requested_backends(given)
        host_reader = HostReader() if host else None
        try:
            opened, unavailable = open_backends(mock, names, seed)
        except UsageError as exc:
            raise ValueError(str(exc)) from None
        workloads, pod_devices = host_workloads(opened, POD_RESOURCES_SOCKET,
                                                POD_RESOURCES_INTERVAL_S)
        super().__init__(opened, unavailable, host_reader=host_reader, interval_s=interval_s,
                         deadline_s=deadline_s, workloads=workloads, pod_devices=pod_devices)


def collect(*, mock: str | None = None, backends: str | Sequence[str] = (),
            seed: int | None = None, deadline_s: float | None = None,
            host: bool = True) -> NodeSnapshot:
    """One NodeSnapshot of this node, read now (as `allsmi snapshot`); arguments as Collector."""
    with Collector(mock=mock, backends=backends, seed=seed, interval_s=ONE_SHOT_INTERVAL_S,
                   deadline_s=deadline_s, host=host) as one_shot:
        return one_shot.tick()
