"""Delta frames replay to exactly the documents recorded: a property test, and the pieces."""

from __future__ import annotations

import copy
import math
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allsmi_py.recording.delta import (
    DeltaError,
    after_step,
    apply_delta,
    encode_delta,
    float_step,
)
from allsmi_py.recording.flatten import slots_of, units_of
from allsmi_py.recording.format import RecordingHeader
from allsmi_py.recording.reader import Recording
from allsmi_py.recording.writer import RecordingWriter
from allsmi_py.serialize import dumps_json, loads_json
from tests.allsmi_py.tui.factories import T0

FLOATS = st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(
    [0.0, -0.0, 0.1, 181.91, 1e-7, 1e16, 1.7976931348623157e308, 5e-324, 31984373.288,
     0.30000000000000004, -2.5])
SCALARS = (st.none() | st.booleans() | st.integers(-2**63, 2**63 - 1) | FLOATS
           | st.text(max_size=6))
LEAVES = SCALARS | st.lists(SCALARS, max_size=3)
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _device(draw: st.DrawFn, number: int) -> dict[str, Any]:
    device: dict[str, Any] = {"uuid": f"GPU-{number}"}
    for key in draw(st.lists(st.sampled_from("abcdef"), unique=True, max_size=6)):
        device[key] = draw(LEAVES)
    if draw(st.booleans()):
        device["details"] = {"x": draw(LEAVES), "y": {"z": draw(LEAVES)}}
    if draw(st.booleans()):
        device["processes"] = [{"pid": pid, "cpu": draw(FLOATS)}
                               for pid in range(draw(st.integers(1, 3)))]
    return device


def _changed(draw: st.DrawFn, rng: random.Random, document: dict[str, Any]) -> dict[str, Any]:
    """The next frame: most leaves as they were, some new, the shape changed now and then."""
    document = copy.deepcopy(document)
    document["taken_at_s"] = draw(FLOATS)
    devices = document["devices"]
    for device in devices:
        for key in [k for k in device if k in "abcdef"]:
            if rng.random() < 0.5:
                device[key] = draw(LEAVES)
        if "details" in device and rng.random() < 0.3:
            device["details"]["y"]["z"] = draw(LEAVES)
        if "processes" in device and rng.random() < 0.3:
            device["processes"][0]["cpu"] = draw(FLOATS)
        if rng.random() < 0.15:  # a field, or a process, comes or goes
            if rng.random() < 0.5:
                device[rng.choice("abcdef")] = draw(LEAVES)
            elif "processes" in device:
                del device["processes"]
            else:
                device["processes"] = [{"pid": 7, "cpu": draw(FLOATS)}]
    if rng.random() < 0.1 and devices:  # a device goes, or comes
        del devices[rng.randrange(len(devices))]
    elif rng.random() < 0.1:
        devices.append(_device(draw, len(devices) + 100))
    if rng.random() < 0.1:
        document["host"] = {"load": draw(LEAVES)}
    return document


@st.composite
def recordings(draw: st.DrawFn) -> tuple[int, list[dict[str, Any]]]:
    """(keyframe_every, a sequence of documents shaped like snapshots)."""
    rng = draw(st.randoms(use_true_random=False))
    document: dict[str, Any] = {
        "hostname": draw(st.text(max_size=5)), "taken_at_s": draw(FLOATS),
        "devices": [_device(draw, number) for number in range(draw(st.integers(0, 4)))],
        "host": {"load": draw(LEAVES), "cpus": [1, {"n": draw(LEAVES)}]},
        "backends": [{"name": "mock", "state": "ok"}]}
    documents = [document]
    for _ in range(draw(st.integers(0, 12))):
        documents.append(_changed(draw, rng, documents[-1]))
    return draw(st.integers(1, 6)), documents


@PROPERTY
@given(recordings(), st.randoms(use_true_random=False))
def test_any_sequence_of_documents_replays_exactly(tmp_path_factory: pytest.TempPathFactory,
                                                   made: tuple[int, list[dict[str, Any]]],
                                                   rng: random.Random) -> None:
    keyframe_every, documents = made
    path = tmp_path_factory.mktemp("prop") / "p.rec"
    with RecordingWriter(path, RecordingHeader("local", 1.0, T0),
                         keyframe_every=keyframe_every) as writer:
        for number, document in enumerate(documents):
            writer.append_plain(T0 + number, copy.deepcopy(document))
    expected = [dumps_json(document) for document in documents]
    with Recording(path) as recording:
        assert len(recording) == len(documents) and recording.problems == []
        assert [recording.frame_json(i) for i in range(len(documents))] == expected
        order = list(range(len(documents)))
        rng.shuffle(order)
        for i in order:  # seeks in any order, backwards and forwards
            assert recording.frame_json(i) == expected[i]


def _apply(base: Any, now: Any) -> Any:
    """`now` as a reader rebuilds it from `base` and the delta between them."""
    delta = encode_delta(units_of(base), units_of(now))
    assert delta is not None
    document = loads_json(dumps_json(base))
    apply_delta(document, slots_of(document), delta)
    return document


def test_a_delta_sets_only_what_changed_and_replaces_a_device_of_new_shape() -> None:
    base = {"t": 1.5, "devices": [{"u": "a", "n": 10, "f": 181.91, "r": ["x"]},
                                  {"u": "b", "n": 5}]}
    now = {"t": 2.5, "devices": [{"u": "a", "n": 2**62, "f": 182.25, "r": []},
                                 {"u": "b", "n": 5, "processes": [{"pid": 1}]}]}
    delta = loads_json(encode_delta(units_of(base), units_of(now)) or b"")
    assert delta["replace"] == [[2, ["u", "n", "processes"], {"processes": [{"pid": 1}]}]]
    assert delta["set"][:2] == [float_step(1.5, 2.5), 2**62 - 10]
    assert dumps_json(_apply(base, now)) == dumps_json(now)


def test_a_unit_of_the_same_shape_inherits_its_columns_made_once() -> None:
    frames = [{"devices": [{"u": "a", "n": n, "r": [n]}]} for n in range(3)]
    units = [units_of(frame) for frame in frames]
    encode_delta(units[0], units[1])
    assert units[1][1].columns == ["u", "n", "r"]
    encode_delta(units[1], units[2])
    assert units[2][1].columns is units[1][1].columns is units[0][1].columns


def test_a_replaced_device_sends_only_what_is_new_or_differs() -> None:
    base = {"devices": [{"uuid": "GPU-1", "n": 10, "f": 182.25, "g": 0.1, "s": "x"}]}
    now = {"devices": [{"uuid": "GPU-1", "n": 7, "f": 181.91, "g": 0.30000000000000004,
                        "s": "y", "processes": [{"pid": 1}]}]}
    delta = loads_json(encode_delta(units_of(base), units_of(now)) or b"")
    assert delta["replace"] == [[1, ["uuid", "n", "f", "g", "s", "processes"],
                                 {"n": 7, "f": 181.91, "g": 0.30000000000000004, "s": "y",
                                  "processes": [{"pid": 1}]}]]
    assert dumps_json(_apply(base, now)) == dumps_json(now)


TWO = {"t": 1.0, "devices": [{"u": "a"}, {"u": "b"}]}


@pytest.mark.parametrize(("base", "now"), [
    (TWO, {"t": 1.0, "devices": [{"u": "a"}]}),  # a device fewer
    (TWO, {**TWO, "more": 1}),  # outside the devices
    ({**TWO, "n": 2**62}, {**TWO, "n": -2**63}),  # an integer outside them moved too far
])
def test_a_change_to_the_units_or_outside_them_needs_a_keyframe(base: dict[str, Any],
                                                                 now: dict[str, Any]) -> None:
    assert encode_delta(units_of(base), units_of(now)) is None


@pytest.mark.parametrize(("was", "now"), [(0.0, -0.0), (-0.0, 0.0), (1, 1.0), (1, True),
                                          (0, False), ([1], [1.0]), ([], [0]), (None, 0)])
def test_changes_equality_would_hide_are_recorded(was: Any, now: Any) -> None:
    base, after = {"devices": [{"v": was}]}, {"devices": [{"v": now}]}
    assert dumps_json(_apply(base, after)) == dumps_json(after)


def test_a_float_that_is_not_finite_is_null_as_in_the_keyframe() -> None:
    base = {"devices": [{"v": 1.0, "w": math.nan}, {"v": math.nan}]}
    after = {"devices": [{"v": math.inf, "w": 2.0}, {"v": -math.inf}]}
    assert _apply(base, after) == {"devices": [{"v": None, "w": 2.0}, {"v": None}]}


@pytest.mark.parametrize(("was", "now"), [(182.25, 181.91), (0.1, 0.2), (-3.5, 2.0),
                                          (31984373.288, 31990000.0), (1.0, 1234567.1234567),
                                          (1e-7, 1.0), (0.0, -2.5)])
def test_a_decimal_step_leads_to_exactly_the_float(was: float, now: float) -> None:
    step = float_step(was, now)
    assert step is not None and after_step(was, step) == now


def test_the_step_is_the_difference_of_the_digits() -> None:
    assert float_step(182.25, 181.91) == -34 * 8 + 2
    assert float_step(38.5, 53.3) == 148 * 8 + 1


@pytest.mark.parametrize(("was", "now"), [(1.0, 1e16), (0.30000000000000004, 0.1), (0.0, -0.0),
                                          (1.5, 1.12345678), (1e300, 1.0), (1.0, -1e300),
                                          (5e-324, 1.0)])
def test_floats_without_a_short_decimal_are_written_whole(was: float, now: float) -> None:
    assert float_step(was, now) is None


@given(FLOATS, FLOATS)
def test_a_step_when_there_is_one_is_exact(was: float, now: float) -> None:
    step = float_step(was, now)
    if step is not None:
        assert math.copysign(1.0, after_step(was, step)) == math.copysign(1.0, now) or now == 0
        assert after_step(was, step) == now


@pytest.mark.parametrize(("was", "step", "match"), [(0.125, 8 * 5 + 1, "which has more"),
                                                    (1e300, 8, "which has more"),
                                                    (1.0, 2**60 << 3, "past a float")])
def test_a_step_that_cannot_be_taken_is_refused(was: float, step: int, match: str) -> None:
    with pytest.raises(DeltaError, match=match):
        after_step(was, step)


def test_a_list_of_scalars_cannot_become_a_list_of_containers() -> None:
    document = {"devices": [{"r": ["x"]}]}
    body = dumps_json({"leaves": 1, "units": 2, "at": [0], "set": [[{"a": 1}]], "replace": []})
    with pytest.raises(DeltaError, match="one of containers"):
        apply_delta(document, slots_of(document), body)
