"""Property: a node's body decodes to a safe snapshot or to the decoder's declared error only.

The text decoder (parse_node_text) may raise ParseError and nothing else; the JSON decoder
(snapshot_from_json) NotOurs or BadSnapshot. What either returns is already what the JSON
check would make of it (every number within its bound, every string clean), and it can be
written as JSON again.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allsmi_py.model import CpuReading, DiskReading, HostReading, NodeSnapshot, ProcessReading
from allsmi_py.remote.checked import checked_snapshot
from allsmi_py.remote.nodes import BadSnapshot, NotOurs, snapshot_from_json
from allsmi_py.remote.parse import ParseError, parse_node_text
from allsmi_py.remote.rules import rules
from backends.mock.backend import MockBackend

FUZZ = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
HOSTILE = ["\n", "\r", "\t", "\x1b[2J", "\x1b]0;t\x07", "\u202e", "\u2066", "\x9b", "\x7f",
           "\x00", "\u2028", "\ufeff", "\\", '"', "\\n", "\\r", "\\\\", '\\"', "}", "{", ",", "="]
PIECES = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=4),
                   st.sampled_from(["GPU-1", "GPU-2", "0", "1", "²", "99999999999999999999"]))
HOSTILE_TEXT = st.lists(PIECES, max_size=5).map("".join)


def _safe(snapshot: NodeSnapshot) -> None:
    assert checked_snapshot(snapshot) is snapshot  # nothing left for the JSON check to fix
    json.loads(snapshot.to_json())


# /metrics text
FAMILIES = st.one_of(st.sampled_from(sorted(rules())),
                     st.from_regex(r"[a-zA-Z_:][a-zA-Z0-9_:]{0,12}", fullmatch=True))
LABEL_NAMES = st.one_of(
    st.sampled_from(["gpu", "npu", "instance", "hostname", "gpu_uuid", "npu_uuid", "uuid",
                     "gpu_index", "npu_index", "index", "pid", "name", "user", "command",
                     "device_uuid", "mount_point", "cpu_model", "architecture", "level",
                     "type", "kind", "vendor", "backend", "driver_version"]),
    st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,8}", fullmatch=True))
VALUES = st.one_of(
    st.floats().map(repr), st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(["NaN", "+Inf", "-Inf", "1e300", "1e309", "-5", "-0", "1_0", "0x10", "",
                     "1 2", "1 2 3", "nan", "inf", str(2**64), "9" * 400]))


@st.composite
def expositions(draw: st.DrawFn) -> str | bytes:
    lines = []
    for _ in range(draw(st.integers(1, 12))):
        shape = draw(st.integers(0, 9))
        if shape == 0:
            lines.append(draw(HOSTILE_TEXT))
            continue
        if shape == 1:
            lines.append(f"# TYPE {draw(FAMILIES)} gauge")
            continue
        labels = draw(st.lists(st.tuples(LABEL_NAMES, HOSTILE_TEXT), max_size=6))
        sep = draw(st.sampled_from([",", ", ", " , "]))
        block = sep.join(f'{k}="{v}"' for k, v in labels)
        lines.append(f"{draw(FAMILIES)}{{{block}}} {draw(VALUES)}")
    text = draw(st.sampled_from(["\n", "\r\n"])).join(lines)
    if draw(st.booleans()):
        return text
    raw = text.encode("utf-8", "surrogatepass")
    cut = draw(st.integers(0, len(raw)))
    return raw[:cut] + draw(st.binary(max_size=8)) + raw[cut:]


@FUZZ
@given(expositions())
def test_the_text_decoder_gives_a_safe_snapshot_or_a_parse_error(body: str | bytes) -> None:
    try:
        snapshot = parse_node_text(body)
    except ParseError:
        return
    _safe(snapshot)


@FUZZ
@given(st.binary(max_size=300))
def test_the_text_decoder_on_arbitrary_bytes(body: bytes) -> None:
    try:
        _safe(parse_node_text(b"all_smi_gpu_utilization{gpu_uuid=\"G\"} 1\n" + body))
    except ParseError:
        pass


# JSON /snapshot
_DEVICE, _OTHER = MockBackend(spec="h100:2", seed=3).read()
_PROCESS = ProcessReading(pid=42, name="py", user="u", command="c", cpu_pct=5.0)
_BASE = NodeSnapshot(
    hostname="n1", taken_at_s=1_700_000_000.0,
    devices=(dataclasses.replace(_DEVICE, processes=(_PROCESS,)), _OTHER),
    host=HostReading(cpu=CpuReading(per_core_utilization_pct=(1.0, 2.0)),
                     disks=(DiskReading("/"),))).to_dict()
RAW = ["1e400", "-1e400", "1" + "0" * 500, "-" + "9" * 5000, "NaN", "Infinity",
       "[" * 50 + "]" * 50, '"\\ud800"', '"\\u001b[2J"', "18446744073709551616"]
LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False), HOSTILE_TEXT,
    st.sampled_from(RAW).map(lambda raw: f"@{raw}@"))
JSON_VALUES = st.recursive(
    LEAVES, lambda kids: st.lists(kids, max_size=3)
    | st.dictionaries(st.sampled_from(["pid", "uuid", "name", "index", "x"]), kids, max_size=3),
    max_leaves=6)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path] if path else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _paths(item, (*path, i))
    return found


PATHS = _paths(_BASE)
NUMBERS = st.one_of(
    st.integers(-(2**70), 2**70), st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([-1, -5, 2**63 - 1, 2**63, 2**64, 10**30, 1e300, -300.0, 5000.0]),
    st.sampled_from(RAW[:4]).map(lambda raw: f"@{raw}@"))


def _like(old: Any) -> st.SearchStrategy[Any]:
    """Mostly a value of the type already there (so the document stays well typed)."""
    if isinstance(old, bool):
        return st.booleans()
    if isinstance(old, int | float):
        return NUMBERS
    if isinstance(old, str):
        return HOSTILE_TEXT
    return JSON_VALUES


@st.composite
def snapshot_bodies(draw: st.DrawFn) -> bytes:
    doc = json.loads(json.dumps(_BASE))
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(PATHS))
        target = doc
        try:
            for key in path[:-1]:
                target = target[key]
            old = target[path[-1]]
            typed = draw(st.integers(0, 9)) > 1
            target[path[-1]] = draw(_like(old) if typed else JSON_VALUES)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation replaced what this path went through
    del doc["format"]
    text = json.dumps(doc)[:-1] + ', "format":"allsmi-py/snapshot/1"}'
    for raw in RAW:
        text = text.replace(f'"@{raw}@"', raw)
    body = text.encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 4)) == 0:
        cut = draw(st.integers(0, len(body)))
        body = body[:cut] + draw(st.binary(max_size=6)) + body[cut + draw(st.integers(0, 6)):]
    return body


@FUZZ
@given(snapshot_bodies())
def test_the_json_decoder_gives_a_safe_snapshot_or_its_declared_errors(body: bytes) -> None:
    try:
        snapshot = snapshot_from_json(body)
    except (NotOurs, BadSnapshot):
        return
    _safe(snapshot)
