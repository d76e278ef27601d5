"""A loopback server speaking Prometheus' HTTP API, for the aggregated source's hostile cases.

It answers each of the source's queries (told apart by their text) with the vector a real
Prometheus would give for a small cluster built from mock snapshots, unless `mode` makes it
misbehave: `huge` (a body past any cap), `endless` (a body that never ends, a byte at a
time), `nan` (NaN and infinities for every statistic), `targets_404` (no targets API, as in
VictoriaMetrics or Thanos), `bloated` (the device series are padded past a byte budget),
`slow_users` (the Users tab's queries take SLOW_S), `busy` (each query that selects every
device's series takes BUSY_S, one at a time, as on a Prometheus with one core to spare),
`bad_ranking` (the page's topk/bottomk is refused, 400 bad_data, the rest answered).
Records each query's text and form; `gzip` compresses every answer.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import secrets
from typing import Any

from aiohttp import web

from allsmi_py.model import NodeSnapshot
from allsmi_py.remote.prometheus_queries import Scope
from tests.allsmi_py.remote.faults import node_snapshot
from tests.allsmi_py.remote.prom_api import EVAL_S, active_target, scraped, series, vector

MODES = ("ok", "huge", "endless", "nan", "targets_404", "bloated", "slow_users", "busy",
         "bad_ranking")
SLOW_S = 0.8  # how long `slow_users` takes over the Users tab's queries
BUSY_S = 0.08  # how long `busy` takes over each query that selects every device's series
DOWN = "10.0.0.9:9090"
STATS = {expr: name for name, expr in {**Scope().summary(), **Scope().steady()}.items()}
NODE_COUNTS = Scope().node_device_counts()
EVERY_DEVICE = {*STATS, NODE_COUNTS, Scope().node_utilization()}  # and the ranked pages


class FakePrometheusApi:
    """Serves /api/v1/query and /api/v1/targets on 127.0.0.1 (`url` once started)."""

    def __init__(self, mode: str = "ok", *, gzip_answers: bool = True) -> None:
        assert mode in MODES
        self.mode = mode
        self.gzip_answers = gzip_answers
        self.forms: list[dict[str, str]] = []
        self.paths: list[str] = []
        self.snapshots = {f"node-{i}": node_snapshot(f"node-{i}", seed=i) for i in range(3)}
        self.series = [s for name, snap in self.snapshots.items()
                       for s in scraped(snap, name, honor_labels=True)]
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._busy = asyncio.Lock()

    @property
    def url(self) -> str:
        """Base URL of the API."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/v1/query", self._query)
        app.router.add_get("/api/v1/targets", self._targets)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _answer(self, document: dict[str, Any]) -> web.Response:
        body = json.dumps(document).encode()
        if not self.gzip_answers:
            return web.Response(body=body, content_type="application/json")
        return web.Response(body=gzip.compress(body), content_type="application/json",
                            headers={"Content-Encoding": "gzip"})

    async def _query(self, request: web.Request) -> web.StreamResponse:
        form = dict(await request.post()) if request.method == "POST" else dict(request.query)
        self.forms.append({k: str(v) for k, v in form.items()})
        self.paths.append(request.path)
        promql = str(form.get("query", ""))
        if self.mode == "huge":
            return await _huge(request)
        if self.mode == "endless":
            return await _endless(request)
        if self.mode == "slow_users" and "user" in promql:
            await asyncio.sleep(SLOW_S)
        if self.mode == "bad_ranking" and promql.startswith(("topk(", "bottomk(")):
            return web.json_response({"status": "error", "errorType": "bad_data",
                                      "error": "parse error: unexpected ranking"}, status=400)
        if self.mode == "busy" and (promql in EVERY_DEVICE
                                    or promql.startswith(("topk(", "bottomk("))):
            async with self._busy:
                await asyncio.sleep(BUSY_S)
        return self._answer(vector(self.result(promql)))

    async def _targets(self, request: web.Request) -> web.StreamResponse:
        self.paths.append(request.path)
        if self.mode == "targets_404":
            return web.Response(status=404, text="404 page not found")
        return self._answer({"status": "success", "data": {"activeTargets": [
            active_target("allsmi", DOWN, "down", "connection refused")], "droppedTargets": []}})

    def result(self, promql: str) -> list[dict[str, Any]]:
        """The instant vector a Prometheus would return for one of the source's queries."""
        devices = [d for snap in self.snapshots.values() for d in snap.devices]
        stat = STATS.get(promql)
        if stat is not None:
            values = {"power": sum(d.power_w or 0.0 for d in devices),
                      "temp_max": float("inf"), "memory_total": 1e12, "memory_used": 5e11}
            if stat not in values:
                return []  # no such series: the statistic is unknown, not zero
            return [series("", float("nan") if self.mode == "nan" else values[stat], {})]
        if promql == NODE_COUNTS:
            return [series("", float("nan") if self.mode == "nan" else len(snap.devices),
                           {"job": "allsmi", "instance": name})
                    for name, snap in self.snapshots.items()]
        if promql.startswith("topk by (user)"):
            return [series("all_smi_process_memory_used_bytes", 4e9, {
                "user": "alice", "command": "python train.py", "instance": "node-0"})]
        if '"memory"' in promql:  # the Users tab's sums
            first, second = devices[0].uuid, devices[1].uuid
            return [series("", 6e9, {"allsmi_stat": "memory", "user": "alice"}),
                    series("", 2, {"allsmi_stat": "gpu", "user": "alice", "instance": "node-0",
                                   "device_uuid": first}),
                    series("", 1, {"allsmi_stat": "gpu", "user": "alice", "instance": "node-1",
                                   "device_uuid": second})]
        if promql.startswith("avg by (job, instance)"):
            return [series("", float("-inf") if self.mode == "nan" else _mean_utilization(snap),
                           {"job": "allsmi", "instance": name})
                    for name, snap in self.snapshots.items()]
        if "up == 0" in promql:
            return [series("up", 0.0, {"job": "allsmi", "instance": DOWN})]
        if promql.startswith(("topk(", "bottomk(")):
            return [s for s in self.series if s["metric"]["__name__"] == "all_smi_gpu_utilization"
                    ][:4]
        for name in self.snapshots:
            if f'instance="{name}"' in promql:  # the open node, whole
                return [s for s in self.series if s["metric"].get("instance") == name]
        if "instance=~" in promql:
            picked = [s for s in self.series if s["metric"]["__name__"] != "up"
                      and s["metric"].get("instance") in promql]
            if self.mode == "bloated":
                for s in picked:
                    s["metric"]["padding"] = secrets.token_hex(2000)  # gzip cannot shrink it
            return picked
        return []


def _mean_utilization(snapshot: NodeSnapshot) -> float:
    utils = [d.utilization_pct or 0.0 for d in snapshot.devices]
    return sum(utils) / len(utils)


async def _huge(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    await response.write(b'{"status":"success","data":{"resultType":"vector","result":[')
    chunk = b'{"metric":{"instance":"' + b"x" * 65000 + b'"},"value":[1,"1"]},'
    for _ in range(2000):  # 130 MB unless the reader stops first
        await response.write(chunk)
    return response


async def _endless(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    await response.write(b'{"status":"success","data":{"resultType":"vector","result":[')
    while True:
        await response.write(b" ")
        await asyncio.sleep(0.05)


__all__ = ["DOWN", "EVAL_S", "FakePrometheusApi", "MODES"]
