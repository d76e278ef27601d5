"""The router's shortcuts (a device found once per label block, plain families in fewer steps,
block facts kept across rounds) change nothing: the same samples with every label block a
fresh object, so that no shortcut applies, give the same snapshot, whatever the order of
lines and whatever values they hold.
"""

from __future__ import annotations

import time
from pathlib import Path
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from allsmi_py.exporter.render import render_prometheus
from allsmi_py.model import NodeSnapshot
from allsmi_py.remote.exposition import Sample, parse_samples
from allsmi_py.remote.parse import snapshot_from_samples
from backends.mock.backend import MockBackend

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "allsmi"
NOW = 1_800_000_000.0


def _bodies() -> list[str]:
    texts = [p.read_text() for p in sorted(FIXTURES.glob("*.prom"))]
    for spec in ("h100:8", "a100:2,gaudi3:1"):
        devices = MockBackend(spec=spec, seed=5, node="n1").read()
        snap = NodeSnapshot(hostname="n1", taken_at_s=NOW, devices=tuple(devices))
        texts.append(render_prometheus(snap, include_processes=True))
    return texts


BODIES = [parse_samples(text, strict=False) for text in _bodies()]
ODD_VALUES = [-1.0, 0.0, 1e30, -1e30, float("nan"), float("inf"), 4294967295.0, 0.5]


def _read(samples: list[Sample], shared_blocks: bool = False) -> NodeSnapshot:
    with mock.patch.object(time, "time", return_value=NOW):
        return snapshot_from_samples(samples, "fallback", shared_blocks=shared_blocks)


def test_every_fixture_reads_the_same_without_shared_blocks() -> None:
    for samples in BODIES:
        assert len({id(labels) for _, labels, _ in samples}) < len(samples)  # blocks shared
        fresh = [(n, dict(labels), v) for n, labels, v in samples]
        assert _read(samples) == _read(fresh)
        for _ in range(2):  # kept block facts: made in the first round, used in the second
            assert _read(samples, shared_blocks=True) == _read(fresh)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_shuffled_dropped_and_odd_values_read_the_same(data: st.DataObject) -> None:
    samples = list(data.draw(st.sampled_from(BODIES)))
    order = data.draw(st.permutations(range(len(samples))))
    keep = data.draw(st.lists(st.booleans(), min_size=len(samples), max_size=len(samples)))
    picked = [samples[i] for i in order if keep[i]] or samples[:1]
    odd = data.draw(st.lists(st.tuples(st.integers(0, len(picked) - 1),
                                       st.sampled_from(ODD_VALUES)), max_size=8))
    for index, value in odd:
        name, labels, _ = picked[index]
        picked[index] = (name, labels, value)
    fresh = [(n, dict(labels), v) for n, labels, v in picked]
    try:
        shared = _read(picked, shared_blocks=data.draw(st.booleans()))
    except ValueError as exc:  # ParseError: no all_smi sample left
        try:
            _read(fresh)
        except ValueError as again:
            assert str(again) == str(exc)
            return
        raise
    assert shared == _read(fresh)
