"""A node's response body to a NodeSnapshot: our JSON `/snapshot`, or `/metrics` text.

Each decoder raises only its declared errors: NotOurs or BadSnapshot for JSON, ParseError
for text. What they return holds only values within their fields' bounds and strings safe to
show (checked.py, parse.py); what was refused is noted in the snapshot's "remote" status.
Then every reading passes the plausibility guard a local collector applies (plausible.py):
an all-smi node's 4294967295 W becomes None and a line in the device's `problems`.
"""

from __future__ import annotations

import dataclasses

from allsmi_py.model import NodeSnapshot, has_snapshot_marker
from allsmi_py.plausible import guard, guard_changed, guard_snapshot
from allsmi_py.remote.checked import checked_snapshot
from allsmi_py.remote.exposition import ParseError
from allsmi_py.remote.parse import parse_node_text
from allsmi_py.remote.text_delta import TextTemplate, decode_with_template, patched


class NotOurs(Exception):
    """The JSON is valid but not an allsmi-py snapshot (all-smi's schema 1, for one)."""


class BadSnapshot(ParseError, ValueError):
    """The body carries our snapshot marker but is not a snapshot we can read."""


def snapshot_from_json(body: bytes) -> NodeSnapshot:
    """Our /snapshot document; NotOurs for foreign JSON, BadSnapshot for a broken one of ours."""
    # A node that answers /snapshot with something else (all-smi's own JSON, an HTML page,
    # garbage) may still serve /metrics; let the text path decide.
    if not has_snapshot_marker(body):
        raise NotOurs("not JSON with the allsmi-py format marker")
    try:
        snapshot = NodeSnapshot.from_json(body)
    except ValueError as exc:
        raise BadSnapshot(str(exc)) from None
    return guard_snapshot(checked_snapshot(snapshot))


def snapshot_from_text(body: bytes, address: str) -> NodeSnapshot:
    """A Prometheus exposition to a NodeSnapshot; ParseError when it is unreadable."""
    return guard_snapshot(parse_node_text(body, fallback_hostname=address))


def snapshot_from_next_text(body: bytes, address: str, last_body: bytes,
                            template: TextTemplate | None
                            ) -> tuple[NodeSnapshot, TextTemplate | None]:
    """snapshot_from_text for a node's next body: made from its last one when only values
    changed (text_delta.py, `template` made from `last_body`), else decoded whole; and the
    template for the body after it."""
    made = patched(last_body, body, template) if template is not None else None
    if made is None:
        parsed, template = decode_with_template(body, address)
        guarded = guard_snapshot(parsed)
    else:
        parsed, template = made
        guarded = _guard_patched(parsed, template)
    if template is not None:
        template.clean = tuple(g is p for g, p in zip(guarded.devices, parsed.devices,
                                                       strict=True))
    return guarded, template


def _guard_patched(parsed: NodeSnapshot, template: TextTemplate) -> NodeSnapshot:
    """guard_snapshot(parsed), where a device the guard let through last round is screened
    again only in the fields the patch changed (plausible.guard_changed)."""
    changed = template.changed or {}
    clean = template.clean
    devices = []
    for position, device in enumerate(parsed.devices):
        was_clean = position < len(clean) and clean[position]
        fields = changed.get(position)
        if was_clean and fields is None:
            devices.append(device)  # the very object the guard let through
        elif was_clean and fields is not None:
            devices.append(guard_changed(device, fields))
        else:
            devices.append(guard(device))
    host = guard(parsed.host) if parsed.host is not None else None
    if host is parsed.host and all(a is b for a, b in zip(devices, parsed.devices, strict=True)):
        return parsed
    return dataclasses.replace(parsed, devices=tuple(devices), host=host)
