"""The fast tokenizer against prometheus-client's parser (the oracle), and on arbitrary bytes."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from allsmi_py.remote import exposition
from allsmi_py.remote.exposition import ParseError, parse_samples

NAMES = st.from_regex(r"[a-zA-Z_:][a-zA-Z0-9_:]{0,20}", fullmatch=True)
LABEL_NAMES = st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,12}", fullmatch=True).filter(
    lambda n: not n.startswith("__"))
LABEL_VALUES = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
VALUES = st.one_of(
    st.floats(allow_nan=False, width=64).map(repr).map(
        lambda r: {"inf": "+Inf", "-inf": "-Inf"}.get(r, r)),
    st.integers(-10**12, 10**12).map(str),
    st.just("NaN"))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


@st.composite
def expositions(draw: st.DrawFn) -> str:
    lines = []
    for _ in range(draw(st.integers(1, 8))):
        name = draw(NAMES)
        if draw(st.booleans()):
            lines.append(f"# HELP {name} {draw(st.sampled_from(['', 'some help', 'x y z']))}")
            lines.append(f"# TYPE {name} {draw(st.sampled_from(['gauge', 'untyped']))}")
        for _ in range(draw(st.integers(1, 3))):
            labels = draw(st.dictionaries(LABEL_NAMES, LABEL_VALUES, max_size=5))
            sep = draw(st.sampled_from([",", ", "]))
            block = sep.join(f'{k}="{_escape(v)}"' for k, v in labels.items())
            head = f"{name}{{{block}}}" if labels or draw(st.booleans()) else name
            stamp = f" {draw(st.integers(0, 2**41))}" if draw(st.booleans()) else ""
            lines.append(f"{head} {draw(VALUES)}{stamp}")
        if draw(st.booleans()):
            lines.append("# a free comment")
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join(lines) + draw(st.sampled_from(["", newline]))


def _oracle(text: str) -> list[tuple[str, dict[str, str], float]]:
    return [(s.name, s.labels, float(s.value)) for family in text_string_to_metric_families(text)
            for s in family.samples]


def _same(a: float, b: float) -> bool:
    return a == b or (a != a and b != b)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expositions())
def test_same_samples_as_prometheus_client(text: str) -> None:
    ours = parse_samples(text)
    theirs = _oracle(text)
    assert len(ours) == len(theirs)
    for (n1, l1, v1), (n2, l2, v2) in zip(ours, theirs, strict=True):
        assert n1 == n2 and dict(l1) == l2 and _same(v1, v2), (text, ours, theirs)


def test_all_smi_dialect() -> None:
    text = ('# HELP all_smi_gpu_utilization GPU utilization percentage\r\n'
            '# TYPE all_smi_gpu_utilization gauge\r\n'
            'all_smi_gpu_utilization{gpu="NVIDIA A100", instance="node-1", gpu_uuid="GPU-A",'
            ' gpu_index="0"} 50\r\n'
            '# HELP all_smi_gpu_utilization GPU utilization percentage\r\n'
            '# TYPE all_smi_gpu_utilization gauge\r\n'
            'all_smi_gpu_utilization{gpu="NVIDIA A100", instance="node-1", gpu_uuid="GPU-B",'
            ' gpu_index="1"} 0.3720316673003178\r\n'
            'all_smi_gpu_info{gpu="Odd \\"name\\" \\\\ x", instance="n", gpu_uuid="U",'
            ' gpu_index="2", type="GPU", power_cap__max_="300", _3d_engine="x"} 1')
    samples = parse_samples(text)
    assert [s[2] for s in samples] == [50.0, 0.3720316673003178, 1.0]
    assert samples[2][1]["gpu"] == 'Odd "name" \\ x' and samples[2][1]["_3d_engine"] == "x"
    assert samples == [(s[0], s[1], s[2]) for s in parse_samples(text.encode())]
    assert [(n, dict(lab), v) for n, lab, v in samples] == _oracle(text)


def test_bad_lines_raise_our_error_when_strict_and_are_skipped_otherwise() -> None:
    text = "good 1\nbad{x=1} 2\nworse\n"
    try:
        parse_samples(text)
    except ParseError as exc:
        assert "line 2" in str(exc)
    else:
        raise AssertionError("no ParseError")
    assert parse_samples(text, strict=False) == [("good", {}, 1.0)]
    try:
        parse_samples("nothing here\n", strict=False)
    except ParseError:
        pass
    else:
        raise AssertionError("no ParseError")


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=600) | st.text(max_size=300).map(str.encode))
def test_arbitrary_bytes_give_samples_or_our_error(body: bytes) -> None:
    for strict in (True, False):
        started = time.perf_counter()
        try:
            parse_samples(body, strict=strict)
        except ParseError:
            pass
        assert time.perf_counter() - started < 0.5


def test_pathological_input_stays_fast() -> None:
    nasty = ('a{' + 'x="\\' * 5000 + '} 1\n') * 20 + "b{" + "," * 100_000 + "} 1\n"
    started = time.perf_counter()
    try:
        parse_samples(nasty, strict=False)
    except ParseError:
        pass
    assert time.perf_counter() - started < 2.0


def test_long_unique_label_blocks_are_parsed_but_never_cached() -> None:

    exposition._BLOCK_CACHE.clear()
    pad = "x" * 4000
    body = "".join(f'all_smi_gpu_utilization{{gpu_uuid="u{i}",pad="{pad}"}} 1\n'
                   for i in range(500))
    samples = parse_samples(body)
    assert len(samples) == 500
    assert samples[7][1]["gpu_uuid"] == "u7"
    assert not any(len(block) > 1024 for block in exposition._BLOCK_CACHE)


def test_the_block_cache_is_emptied_past_its_text_budget(monkeypatch: pytest.MonkeyPatch) -> None:

    monkeypatch.setattr(exposition, "_BLOCK_CACHE_BUDGET_CHARS", 10_000)
    exposition._BLOCK_CACHE.clear()
    monkeypatch.setattr(exposition, "_cached_chars", 0)
    body = "".join(f'all_smi_gpu_utilization{{gpu_uuid="u{i}",pad="{"y" * 500}"}} 1\n'
                   for i in range(200))
    parse_samples(body)
    assert sum(len(block) for block in exposition._BLOCK_CACHE) <= 10_000 + 1024
