"""A node's response body to a NodeSnapshot: our JSON `/snapshot`, or `/metrics` text."""

from __future__ import annotations

from allsmi_py.model import NodeSnapshot, has_snapshot_marker
from allsmi_py.remote.parse import parse_node_text


class NotOurs(Exception):
    """The JSON is valid but not an allsmi-py snapshot (all-smi's schema 1, for one)."""


def snapshot_from_json(body: bytes) -> NodeSnapshot:
    """Our /snapshot document; NotOurs for foreign JSON, ValueError for a broken one of ours."""
    # A node that answers /snapshot with something else (all-smi's own JSON, an HTML page,
    # garbage) may still serve /metrics; let the text path decide.
    if not has_snapshot_marker(body):
        raise NotOurs("not JSON with the allsmi-py format marker")
    return NodeSnapshot.from_json(body)


def snapshot_from_text(body: bytes, address: str) -> NodeSnapshot:
    """A Prometheus exposition to a NodeSnapshot; ParseError when it is unreadable."""
    return parse_node_text(body, fallback_hostname=address)
