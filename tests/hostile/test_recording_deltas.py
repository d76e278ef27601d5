"""Hostile delta frames: each way a delta can fail to fit its base is one line of damage, and
any delta, however made up, reads as a frame or as that line: never an error of another kind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allsmi_py.recording.format import (
    DELTA_HEAD,
    KEY_HEAD,
    KIND_DELTA,
    KIND_HEADER,
    KIND_KEYFRAME,
    MAGIC,
    DamagedFrames,
    RecordingHeader,
    encode_header,
    encode_record,
)
from allsmi_py.recording.reader import Recording
from allsmi_py.serialize import dumps_json
from tests.allsmi_py.tui.factories import T0


def _recording(path: Path, base: Any, deltas: list[Any]) -> Path:
    """A keyframe of `base`, then each delta (a document, or its JSON bytes) in turn."""
    compress = zstandard.ZstdCompressor().compress
    header = RecordingHeader("local", 1.0, T0)
    frames = [encode_record(KIND_KEYFRAME, T0, KEY_HEAD.pack(0) + compress(dumps_json(base)))]
    for number, delta in enumerate(deltas, 1):
        body = delta if isinstance(delta, bytes) else dumps_json(delta)
        frames.append(encode_record(KIND_DELTA, T0 + number,
                                    DELTA_HEAD.pack(number, number - 1) + compress(body)))
    path.write_bytes(MAGIC + encode_record(KIND_HEADER, T0, compress(encode_header(header)))
                     + b"".join(frames))
    return path


# Leaves: 0 t, then each device's u, n, f (1-3 and 4-6).
BASE = {"t": 1.0, "devices": [{"u": "a", "n": 1, "f": 2.5}, {"u": "b", "n": 2, "f": 0.5}]}
GOOD = {"leaves": 7, "units": 3, "at": [0], "set": [8], "replace": []}


@pytest.mark.parametrize(("change", "match"), [
    ({}, None),
    ({"leaves": 8}, "for a frame of 8 leaves"),
    ({"units": 2}, "in 2 units"),
    ({"leaves": True}, "leaves"),
    ({"at": [0, 1, 1, 1, 1, 1, 1, 1], "set": [1] * 8}, "8 positions for a frame of 7 leaves"),
    ({"at": [7]}, "outside the frame's 7 leaves"),
    ({"at": [3, -4], "set": [1, 1]}, "outside"),
    ({"at": [10**18], "set": [1]}, "outside"),
    ({"at": [0, 1]}, "2 positions but 1 values"),
    ({"set": []}, "1 positions but 0 values"),
    ({"at": [0.5]}, "not an integer"),
    ({"at": [True]}, "not an integer"),
    ({"at": [2], "set": ["x"]}, "cannot change from a int to a str"),
    ({"at": [2], "set": [2**64 - 1]}, "steps past what JSON holds"),
    ({"at": [3], "set": [2.0]}, None),  # float to float: the value itself
    ({"at": [3], "set": [8]}, "which has more"),  # a step of 0 places from 2.5
    ({"at": [6], "set": [2**62 + 1]}, "past a float"),  # 0.5 plus 2**59 tenths
    ({"at": [2], "set": [[1, [2]]]}, "cannot change"),  # a leaf turned into a list
    ({"at": None}, "at, set or replace missing"),
    ({"replace": [[1, ["u", "n"], {"n": 5}]]}, None),  # device a without f, n 5
    ({"replace": [[0, [], {}]]}, "not \\[number, \\[key, ...\\], {...}\\]"),
    ({"replace": [[3, [], {}]]}, "not \\[number"),
    ({"replace": [[1, {}]]}, "not \\[number"),
    ({"replace": [[1, "u", {}]]}, "not \\[number"),
    ({"replace": [[1, ["u"], []]]}, "not \\[number"),
    ({"replace": [[1, ["u", "zz"], {}]]}, "keeps 'zz', which its base does not have"),
    ({"replace": [[1, [5], {}]]}, "keeps '5'"),
    ({"replace": [[1, [[1]], {}]]}, "keeps '\\[1\\]'"),  # a key that cannot be one
    ({"replace": [[1, [], {}], [2, [], {}], [1, [], {}]]}, "3 units replaced of 2"),
])
def test_a_delta_that_does_not_fit_its_base_is_damage(tmp_path: Path, change: dict[str, object],
                                                      match: str | None) -> None:
    path = _recording(tmp_path / "d.rec", BASE, [{**GOOD, **change}])
    with Recording(path) as recording:
        if match is None:
            assert recording.frame_json(1).startswith(b'{"t":')
            if change.get("replace"):
                assert recording.frame_json(1) == (
                    b'{"t":2.0,"devices":[{"u":"a","n":5},{"u":"b","n":2,"f":0.5}]}')
        else:
            with pytest.raises(DamagedFrames, match=f"frame 2 .*{match}"):
                recording.frame_json(1)
        assert recording.frame_json(0) == dumps_json(BASE)


@pytest.mark.parametrize("body", [b"", b"[]", b"not json", b'{"leaves": 7}',
                                  b'{"leaves":7,"units":3,"at":[' + b"9" * 30 + b'],"set":[1],'
                                  b'"replace":[]}'])
def test_a_delta_that_is_not_one_is_damage(tmp_path: Path, body: bytes) -> None:
    path = _recording(tmp_path / "d.rec", BASE, [body])
    with Recording(path) as recording, pytest.raises(DamagedFrames, match="frame 2"):
        recording.frame_json(1)


FUZZ_BASE = {"t": 1.0, "devices": [{"u": "a", "n": 1, "f": 2.5, "r": ["x"]},
                                   {"u": "b", "n": 2, "f": 0.5, "p": [{"pid": 1}]}]}
SCALARS = (st.none() | st.booleans() | st.integers(-2**63, 2**64 - 1) | st.floats(allow_nan=False)
           | st.text(max_size=4))
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.sampled_from(["u", "n", "f", "r", "p", "x"]), inner,
                                      max_size=4), max_leaves=12)
SMALL = st.integers(-12, 12)
DELTAS = st.fixed_dictionaries({
    "leaves": st.sampled_from([9, 9, 9, 8, 0]), "units": st.sampled_from([3, 3, 2]),
    "at": st.lists(SMALL | st.integers(-2**63, 2**64 - 1), max_size=6),
    "set": st.lists(SMALL | JSON, max_size=6),
    "replace": st.lists(st.tuples(st.integers(-1, 4), st.lists(
        st.sampled_from(["u", "n", "f", "r", "p", "zz"]) | JSON, max_size=4),
        st.dictionaries(st.sampled_from(["u", "n", "f", "p"]), JSON, max_size=3)).map(list)
        | JSON, max_size=3)}) | JSON


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(DELTAS, min_size=1, max_size=3))
def test_a_made_up_delta_is_a_frame_or_one_line_of_damage(tmp_path: Path,
                                                          deltas: list[Any]) -> None:
    with Recording(_recording(tmp_path / "f.rec", FUZZ_BASE, deltas)) as recording:
        for index in range(len(recording)):
            try:
                body = recording.frame_json(index)
            except DamagedFrames as exc:
                assert "\n" not in str(exc)
            else:
                assert body.startswith(b"{")
        with pytest.raises(ValueError):  # not a snapshot, and said so as damage
            recording.snapshot(len(recording) - 1)
