"""A node's next /metrics body read as a patch of its last one (text path only).

An exporter writes the same series in the same order round after round; between two
collections only numbers change, and a few pod lines come and go. So when a node's body
differs from its last, most lines are still equal and most of the rest differ only after
their label block. For such a body the whole decode (tokenize, route, build) is wasted:
this module keeps, per node, a `TextTemplate` that says for each line of the last body what
its value fills, and makes the new snapshot from the last one with only the changed values
replaced, through the same converters (values.py) the decode uses.

A line's slot says what may change in it:
- EXACT: nothing (a label-derived field, a refused value, a process series, a socket ...);
- IGNORED: only its value, which fills nothing and is never refused (a family no rule reads);
- CHECKED: only its value, which fills nothing but is refused and counted like any other (a
  `setdefault` an earlier line already won, a field a later line fills again, a device
  never created);
- PATCH: only its value, which fills one field of one device, the CPU, memory or a disk;
- WORKLOAD: one pod line of the device-workload family; that family is read again whole,
  since its lines come and go.
Anything else (a changed label block, a line more or less outside the pod family, a value a
converter refuses, a body not in the plain form) makes `patched` return None, and the caller
decodes the body whole, as before. tests/allsmi_py/remote/test_text_delta.py holds the patch
to that decode over mock rounds and hostile edits.
"""

from __future__ import annotations

import dataclasses
import operator
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import compress
from operator import ne
from typing import Any

from allsmi_py.exporter.scopes import SCOPES
from allsmi_py.model import DeviceReading, NodeSnapshot
from allsmi_py.remote import exposition
from allsmi_py.remote.allsmi_compat import ANE_FIELD
from allsmi_py.remote.parse import (
    ENERGY_FIELD,
    MAX_DEVICES,
    MAX_DISKS,
    device_uuid,
    device_workloads,
    snapshot_from_samples,
)
from allsmi_py.remote.rules import CPU_INFO, CPU_MODEL, DEVICE_INFO, DEVICE_WORKLOAD, rules
from allsmi_py.remote.text import clean_text

EXACT, IGNORED, CHECKED, PATCH, WORKLOAD = 0, 1, 2, 3, 4
_COMMENT = None  # a comment or empty line: may become any other comment or empty line
_DISK_KEY = SCOPES["disk"].key_label
_HOST_LABELS = (SCOPES["node"].key_label, SCOPES["node"].name_label)
# Device fields the route or the build treat apart from their value (identity, order)
_NOT_PATCHED = frozenset({"uuid", "name", "index", "kind", "backend", "details", "processes",
                          "workloads"})
# What a device info block may set besides its details (parse._info_of)
_INFO_FIELDS = ("kind", "vendor", "backend", "details")


@dataclass(frozen=True, slots=True)
class Slot:
    """What one sample line fills: `kind`, and for PATCH the reading, its position and field."""

    kind: int
    reading: str = ""  # "device", "cpu", "memory" or "disk"
    position: int = 0  # of the device in the snapshot's devices, of the disk in its disks
    field: str = ""
    convert: Callable[[float], Any] | None = None
    target: tuple[str, int] = ("", 0)  # (reading, position): where its changes are gathered

    def __post_init__(self) -> None:
        object.__setattr__(self, "target", (self.reading, self.position))


_EXACT, _IGNORED, _WORKLOAD = Slot(EXACT), Slot(IGNORED), Slot(WORKLOAD)
# Slots are the same for every node of a kind: one object each, so 1,000 nodes' templates
# share them. Emptied when full, like the block cache (sharing is only a saving).
_SHARED: dict[Slot, Slot] = {}
_SHARED_MAX = 100_000


def _shared(slot: Slot) -> Slot:
    held = _SHARED.get(slot)
    if held is None:
        if len(_SHARED) >= _SHARED_MAX:
            _SHARED.clear()
        held = _SHARED[slot] = slot
    return held


@dataclass(slots=True)
class TextTemplate:
    """What the last body of one node filled, line by line, and what it made."""

    slots: list[Slot | None]  # one per line of the body (text.split("\n"))
    workload_lines: tuple[int, int] | None  # [start, end): the pod family, comments too
    parsed: NodeSnapshot  # before the plausibility guard
    device_fields: list[dict[str, Any]]  # each device's fields that are not their default
    device_at: dict[str, int]  # position in parsed.devices by the uuid label as sent
    # Set by the caller: which devices the plausibility guard let through as they were
    clean: tuple[bool, ...] = ()
    # Fields made new in `parsed` by position, when a patch made it (None: decoded whole)
    changed: dict[int, frozenset[str]] | None = None


@lru_cache(maxsize=1)
def _workload_family() -> str:
    return next(name for name, rule in rules().items() if rule is DEVICE_WORKLOAD)


@lru_cache(maxsize=1)
def _device_defaults() -> tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]], tuple[Any, ...]]:
    fields = dataclasses.fields(DeviceReading)
    names = tuple(f.name for f in fields)
    missing = object()  # a default_factory field: always kept
    defaults = tuple(missing if f.default is dataclasses.MISSING else f.default for f in fields)
    return names, operator.attrgetter(*names), defaults


def _fields_of(device: DeviceReading) -> dict[str, Any]:
    names, get, defaults = _device_defaults()
    return {name: value for name, value, default in zip(names, get(device), defaults, strict=True)
            if value is not default}


def decode_with_template(body: bytes, fallback_hostname: str
                         ) -> tuple[NodeSnapshot, TextTemplate | None]:
    """The whole decode (parse.parse_node_text's), and the template of the body when it is
    plain (exposition.plain_samples) and every device and disk can be found again."""
    text = exposition.decoded(body)
    samples = exposition.plain_samples(text)
    if samples is None:
        return snapshot_from_samples(exposition.parse_samples(text, strict=False),
                                     fallback_hostname, shared_blocks=True), None
    parsed = snapshot_from_samples(samples, fallback_hostname, shared_blocks=True)
    return parsed, _template(text.split("\n"), samples, parsed)


def _template(lines: list[str], samples: Sequence[exposition.Sample],
              parsed: NodeSnapshot) -> TextTemplate | None:
    device_at: dict[str, int] = {}
    devices = {device.uuid: position for position, device in enumerate(parsed.devices)}
    disks = {disk.mount_point: position for position, disk in
             enumerate(parsed.host.disks if parsed.host is not None else ())}
    if len(devices) != len(parsed.devices) or len(disks) != len(
            parsed.host.disks if parsed.host is not None else ()):
        return None  # two devices or disks that clean to one name: not found again
    table = rules()
    slots: list[Slot | None] = []
    written: dict[tuple[str, int, str], list[int]] = {}  # (reading, position, field): slots
    created: set[str] = set()
    cpu_taken: set[str] = set()
    disks_seen: set[str] = set()
    workload_at: list[int] = []
    named = False  # a line has named the node (the route takes the first that does)
    it = iter(samples)
    for line in lines:
        if not line or line[0] == "#":
            slots.append(_COMMENT)
            continue
        name, labels, value = next(it)
        rule = table.get(name)
        if rule is None:
            slots.append(_IGNORED)
            continue
        if not named:
            if rule is DEVICE_WORKLOAD:
                return None  # the node's name could come from a line that comes and goes
            named = any(labels.get(label) for label in _HOST_LABELS if label)
        if rule is DEVICE_WORKLOAD:
            if rule.convert(value) is None:
                return None  # refused and counted: a count no pod line may take away
            workload_at.append(len(slots))
            slots.append(_WORKLOAD)
            continue
        converted = rule.convert(value)
        if converted is None:
            slots.append(_EXACT)  # refused and counted: the same value must come again
            continue
        slot = _slot_of(rule, labels, created, cpu_taken, disks_seen, devices, disks,
                        device_at)
        if slot is None:
            return None
        if slot.kind == PATCH or rule.scope == "device" and slot.kind == EXACT:
            for field in _INFO_FIELDS if rule is DEVICE_INFO else (rule.field,):
                written.setdefault((slot.reading, slot.position, field), []).append(len(slots))
        slots.append(slot)
    for writers in written.values():
        for index in writers[:-1]:  # the last writer wins: the others fill nothing
            earlier = slots[index]
            if earlier is not None and earlier.kind == PATCH:
                slots[index] = _checked(earlier.convert)
    if workload_at:
        first, end = workload_at[0], workload_at[-1] + 1
        if len(workload_at) != end - first:
            return None  # pod lines apart from each other: not one section to read again
        while first > 0 and lines[first - 1].startswith("#"):
            first -= 1  # the family's HELP and TYPE, which go when its last pod goes
        span = (first, end)
    else:  # no pod now: the exporter writes the family last when it has one
        end = len(lines) - 1 if lines[-1] == "" else len(lines)
        span = (end, end)
    return TextTemplate([s if s is None else _shared(s) for s in slots], span, parsed,
                        [_fields_of(d) for d in parsed.devices], device_at)


def _slot_of(rule: Any, labels: Mapping[str, str], created: set[str], cpu_taken: set[str],
             disks_seen: set[str], devices: dict[str, int], disks: dict[str, int],
             device_at: dict[str, int]) -> Slot | None:
    """The slot of one line the route reads (parse.snapshot_from_samples, in its order);
    None when the line fills a reading the snapshot does not show where it was looked for."""
    scope = rule.scope
    if rule.field == ENERGY_FIELD and labels.get("scope") == "cpu":
        return _cpu_slot(ENERGY_FIELD, rule, cpu_taken)
    if scope == "device":
        uuid = device_uuid(labels)
        if not uuid:
            return _checked(rule.convert)
        if uuid not in created:
            if not rule.creates or len(created) >= MAX_DEVICES:
                return _checked(rule.convert)
            created.add(uuid)
        position = devices.get(clean_text(uuid))
        if position is None:
            return None
        device_at[uuid] = position
        if rule is DEVICE_INFO or rule.detail or rule.label or rule.field in _NOT_PATCHED:
            return Slot(EXACT, "device", position, rule.field)
        return Slot(PATCH, "device", position, rule.field, rule.convert)
    if scope == "cpu":
        if rule is CPU_MODEL or rule is CPU_INFO:
            return _EXACT
        return _cpu_slot(rule.field, rule, cpu_taken)
    if scope == "memory":
        return Slot(PATCH, "memory", 0, rule.field, rule.convert)
    if scope == "disk":
        mount = labels.get(_DISK_KEY)
        if mount is None:
            return _checked(rule.convert)
        if mount not in disks_seen:
            if len(disks_seen) >= MAX_DISKS:
                return _checked(rule.convert)
            disks_seen.add(mount)
        position = disks.get(clean_text(mount))
        return None if position is None else Slot(PATCH, "disk", position, rule.field,
                                                  rule.convert)
    if scope in ("cpu_socket", "process"):
        return _EXACT
    return _checked(rule.convert)  # node families: their labels name the node


def _checked(convert: Callable[[float], Any] | None) -> Slot:
    return _shared(Slot(CHECKED, convert=convert))


def _cpu_slot(field: str, rule: Any, taken: set[str]) -> Slot:
    if field in taken:
        return _checked(rule.convert)  # the CPU keeps the first value (setdefault)
    taken.add(field)
    return Slot(PATCH, "cpu", 0, field, rule.convert)


def patched(old_body: bytes, body: bytes, template: TextTemplate
            ) -> tuple[NodeSnapshot, TextTemplate] | None:
    """The snapshot of `body` made from the last one, and the template of `body`; None
    when `body` is not the last one with values changed and pod lines come or gone."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    lines = text.split("\n")
    old = old_body.decode("utf-8").split("\n")
    slots = template.slots
    span = template.workload_lines
    grown = len(lines) - len(old)
    changes: dict[tuple[str, int], dict[str, Any]] = {}
    if span is None:
        if grown or not _patch_lines(lines, old, slots, 0, 0, len(old), changes):
            return None
        new_slots, new_span, pods = slots, None, None
    else:
        start, end = span
        new_end = end + grown
        if new_end < start:
            return None
        family = _workload_family() + "{"
        section = lines[start:new_end]
        kinds = [None if not line or line[0] == "#" else _WORKLOAD if line.startswith(family)
                 else _EXACT for line in section]
        if _EXACT in kinds:
            return None  # another family's line where the pods are
        if not (_patch_lines(lines, old, slots, 0, 0, start, changes)
                and _patch_lines(lines, old, slots, new_end, end, len(old), changes)):
            return None
        new_slots = [*slots[:start], *kinds, *slots[end:]]
        new_span, pods = (start, new_end), "\n".join(section)
    return _made(template, changes, pods, new_slots, new_span)


def _patch_lines(lines: list[str], old: list[str], slots: list[Slot | None], at: int,
                 old_at: int, old_end: int, changes: dict[tuple[str, int], dict[str, Any]]
                 ) -> bool:
    """Collect the changed values of old[old_at:old_end] against lines[at:...]; False when a
    line changed in a way its slot does not allow."""
    shift = at - old_at
    unequal = map(ne, lines[at:at + old_end - old_at], old[old_at:old_end])
    for index in compress(range(old_at, old_end), unequal):  # the few changed lines
        line = lines[index + shift]
        before = old[index]
        slot = slots[index]
        if slot is None:
            if line and line[0] != "#":
                return False
            continue
        kind = slot.kind
        if kind in (EXACT, WORKLOAD):
            return False
        close = before.rfind("}") + 1
        if close <= 0 or not line.startswith(before[:close]):
            return False  # another series, or a label block that changed
        tail = line[close:]  # a "}" in it fails float() below
        if "_" in tail:
            return False  # float() takes "1_000"; the exposition format does not
        try:
            value = float(tail)
        except ValueError:
            return False
        if kind == IGNORED:
            continue
        assert slot.convert is not None
        converted = slot.convert(value)
        if converted is None:
            return False  # refused: the whole decode counts it
        if kind == CHECKED:
            continue
        if converted == 0 and slot.field == ANE_FIELD:
            return False  # all-smi's "no ANE" 0, which the build drops (allsmi_compat)
        changes.setdefault(slot.target, {})[slot.field] = converted
    return True


def _made(template: TextTemplate, changes: dict[tuple[str, int], dict[str, Any]],
          pods: str | None,
          slots: list[Slot | None], span: tuple[int, int] | None
          ) -> tuple[NodeSnapshot, TextTemplate] | None:
    parsed = template.parsed
    workloads = None
    if pods is not None:  # the pod family read again, from none to every line
        samples = exposition.plain_samples(pods)
        if samples is None:
            return None
        workloads = device_workloads(samples, template.device_at)
        if workloads is None:
            return None
    devices = list(parsed.devices)
    fields_now = list(template.device_fields)
    changed: dict[int, frozenset[str]] = {}
    for position in range(len(devices)):
        change = changes.get(("device", position))
        held = workloads.get(position, ()) if workloads is not None else None
        if change is None and (held is None or held == devices[position].workloads):
            continue
        fields = {**fields_now[position], **(change or {})}
        if held is not None:
            fields["workloads"] = held
        fields_now[position] = fields
        devices[position] = DeviceReading(**fields)
        changed[position] = frozenset(change or ()) | ({"workloads"} if held else frozenset())
    host = parsed.host
    if host is not None and any(reading != "device" for reading, _ in changes):
        cpu, memory = changes.get(("cpu", 0)), changes.get(("memory", 0))
        disks = list(host.disks)
        for (reading, position), change in changes.items():
            if reading == "disk":
                disks[position] = dataclasses.replace(disks[position], **change)
        host = dataclasses.replace(
            host, cpu=dataclasses.replace(host.cpu, **cpu) if cpu else host.cpu,
            memory=dataclasses.replace(host.memory, **memory) if memory else host.memory,
            disks=tuple(disks))
    elif host is None and any(reading != "device" for reading, _ in changes):
        return None
    snapshot = dataclasses.replace(parsed, taken_at_s=time.time(), devices=tuple(devices),
                                   host=host)
    return snapshot, TextTemplate(slots, span, snapshot, fields_now, template.device_at,
                                  template.clean, changed)
