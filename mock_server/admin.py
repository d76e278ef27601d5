"""The control API on the admin port: list nodes, take them down or up, change faults, step.

    GET  /-/mock/nodes                      every node: name, address, spec, up, fault, requests
    GET  /-/mock/node/<name>                one node
    POST /-/mock/node/<name>/down           refuse connections (and drop open ones)
    POST /-/mock/node/<name>/up             answer again
    POST /-/mock/node/<name>/fault/<kind>[/<seconds>]   kind: none, timeout, slow, 500,
                                            truncated, garbage, huge, flap (applies at once)
    POST /-/mock/step                       move every node's values one step now

Answers are JSON; errors are plain text with 404 (no such node or path), 405 or 400.
"""

from __future__ import annotations

import json
from typing import Any

from allsmi_py.settings import NumberSetting, Range
from mock_server.cluster import Cluster
from mock_server.http import Reply, make_reply, text_reply
from mock_server.node import SimNode
from mock_server.plan import FAULTS, Fault

PREFIX = "/-/mock/"
_SETTABLE = tuple(k for k in FAULTS if k != "down")
# slow and flap seconds, from this API and from --fail-slow/--flap: 0 would not be slow and
# would flap in a busy loop; more than a day is a typo (and inf or NaN sleeps fail).
FAULT_SECONDS = NumberSetting("fault seconds", float,
                              Range(0, 86_400.0, min_exclusive=True, unit="seconds"))


def node_info(cluster: Cluster, node: SimNode) -> dict[str, Any]:
    """What the admin API says about one node."""
    return {
        "name": node.name,
        "address": f"{cluster.host}:{node.port}",
        "port": node.port,
        "spec": node.plan.spec,
        "up": node.up,
        "fault": node.fault.describe() if node.fault else None,
        "requests": node.requests,
    }


def _json(data: object) -> Reply:
    return make_reply(200, (json.dumps(data) + "\n").encode(), "application/json")


class AdminApi:
    """Handler of the admin port for one cluster."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    def handle(self, method: str, target: str, headers: dict[str, str]) -> Reply:
        """Route one admin request."""
        path = target.partition("?")[0]
        if not path.startswith(PREFIX):
            return text_reply(404, f"not found: the control API lives under {PREFIX}\n")
        parts = path[len(PREFIX) :].strip("/").split("/")
        cluster = self.cluster
        if parts == ["nodes"]:
            if method not in ("GET", "HEAD"):
                return _not_allowed("GET, HEAD")
            return _json(
                {
                    "step": cluster.step,
                    "interval_s": cluster.interval_s,
                    "nodes": [node_info(cluster, n) for n in cluster.nodes],
                }
            )
        if parts == ["step"]:
            if method != "POST":
                return _not_allowed("POST")
            return _json({"step": cluster.advance()})
        if len(parts) < 2 or parts[0] != "node" or parts[1] not in cluster.by_name:
            return text_reply(404, f"no such node or path: {path}\n")
        node = cluster.by_name[parts[1]]
        action = parts[2:]
        if not action:
            return (
                _json(node_info(cluster, node))
                if method in ("GET", "HEAD")
                else _not_allowed("GET, HEAD")
            )
        if method != "POST":
            return _not_allowed("POST")
        if action == ["down"]:
            cluster.set_down(node.name)
        elif action == ["up"]:
            cluster.set_up(node.name)
        elif action[0] == "fault" and len(action) in (2, 3):
            error = self._set_fault(node, action[1:])
            if error:
                return text_reply(400, error + "\n")
        else:
            return text_reply(404, f"no such action: {'/'.join(action)}; use down, up or fault\n")
        return _json(node_info(cluster, node))

    def _set_fault(self, node: SimNode, args: list[str]) -> str | None:
        kind = args[0]
        if kind == "none":
            node.fault = None
            return None
        if kind not in _SETTABLE:
            return f"unknown fault {kind!r}: use none, {', '.join(_SETTABLE)} (down: POST .../down)"
        seconds = 0.0
        if kind in ("slow", "flap"):
            if len(args) != 2:
                return f"fault {kind} needs seconds: .../fault/{kind}/<seconds>"
            try:
                seconds = FAULT_SECONDS.parse(args[1])
            except ValueError as exc:
                return f"fault {kind}: {exc}"
        node.fault = Fault(kind, seconds)
        if kind == "flap":
            self.cluster.start_flapping(node)
        return None


def _not_allowed(allow: str) -> Reply:
    return make_reply(
        405, b"method not allowed\n", "text/plain; charset=utf-8", (("allow", allow),)
    )
