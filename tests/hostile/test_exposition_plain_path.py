"""The plain-form fast path of the tokenizer reads every body as the line-by-line path does.

`exposition._parse_plain` takes bodies whose lines are all `name{block} value` with known
names; anything else must go to `_parse_lines`. Each test warms the name set first, so
that the fast path is really taken, then holds it to the line path and to prometheus-client.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from allsmi_py.remote import exposition
from allsmi_py.remote.exposition import ParseError, parse_samples
from tests.allsmi_py.remote.test_exposition import expositions


def _lines(text: str, strict: bool = True) -> list[exposition.Sample] | str:
    try:
        return exposition._parse_lines(text, strict)
    except ParseError as exc:
        return f"error: {exc}"


def _same(a: list[exposition.Sample] | str, b: list[exposition.Sample] | str) -> bool:
    """Equal, with NaN equal to NaN."""
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return len(a) == len(b) and all(
        n1 == n2 and dict(l1) == dict(l2) and (v1 == v2 or (v1 != v1 and v2 != v2))
        for (n1, l1, v1), (n2, l2, v2) in zip(a, b, strict=True))


def _both_paths(text: str) -> None:
    """The fast path, when it takes `text`, gives what the line path gives."""
    _lines(text)  # learns the valid names, as a first round does
    fast = exposition._parse_plain(text)
    if fast is not None:
        assert _same(fast, _lines(text)), text
        assert _same(fast, _lines(text, strict=False)), text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expositions())
def test_the_fast_path_agrees_with_the_line_path_and_the_oracle(text: str) -> None:
    _both_paths(text)
    parse_samples(text, strict=False)  # names known: the next call takes the fast path
    theirs = [(s.name, s.labels, float(s.value)) for f in text_string_to_metric_families(text)
              for s in f.samples]
    ours = parse_samples(text)
    assert [(n, dict(lab)) for n, lab, _ in ours] == [(n, lab) for n, lab, _ in theirs]
    assert all(a == b or (a != a and b != b) for (_, _, a), (_, _, b) in zip(
        ours, theirs, strict=True))


GOOD = 'all_smi_gpu_utilization{gpu_uuid="GPU-1",gpu_index="0"} 85'
# Each line is one the fast path must not read differently from the line path: white space
# where `split`/`strip` would take it, a timestamp, "_" numbers, braces inside values,
# CRLF, comments after white space, a line with no value or two.
ODD_LINES = [
    GOOD,
    " " + GOOD,
    "\t" + GOOD,
    GOOD + " ",
    GOOD + "\r",
    GOOD + " 1700000000000",
    GOOD + "\t1700000000000",
    GOOD.replace("} 85", "}85"),
    GOOD.replace("} 85", "} 8_5"),
    GOOD.replace("} 85", "}  85  "),
    GOOD.replace("} 85", "} 85 86 87"),
    GOOD.replace("} 85", "}"),
    GOOD.replace("} 85", "} 0x10"),
    GOOD.replace("} 85", "} nan"),
    GOOD.replace("} 85", "} -Inf"),
    GOOD.replace("} 85", "} 1e400"),
    GOOD.replace("} 85", "} \u0661\u0662"),
    GOOD.replace("} 85", "} 85}"),
    GOOD.replace("} 85", "} 85 }"),
    GOOD.replace('"GPU-1"', '"GPU-}1"'),
    GOOD.replace('"GPU-1"', '"GPU-{1"'),
    GOOD.replace('"GPU-1"', '"a\\"b\\\\c\\nd"'),
    GOOD.replace('"GPU-1"', '"GPU-1\r"'),
    GOOD.replace("{", " {"),
    GOOD.replace("{", "\t{"),
    GOOD.replace("all_smi", "9all_smi"),
    GOOD.replace("{gpu", "{ gpu"),
    "{" + GOOD,
    'all_smi_gpu_utilization{gpu_uuid="GPU-1",gpu_uuid="GPU-2"} 1',
    'all_smi_gpu_utilization{gpu_uuid=GPU-1} 1',
    "all_smi_gpu_utilization 1",
    "all_smi_gpu_utilization{} 1",
    "  # a comment after white space {x} 1",
    "# HELP all_smi_gpu_utilization {x} 1",
    "",
    "  ",
    "\r",
    "\x0c" + GOOD,
    GOOD + "\x1c",
    GOOD + "\u2028",
    "\u00a0" + GOOD,
]


@pytest.mark.parametrize("odd", ODD_LINES)
def test_an_odd_line_among_plain_ones_reads_as_the_line_path_reads_it(odd: str) -> None:
    body = "\n".join(["# TYPE all_smi_gpu_utilization gauge", GOOD, odd, GOOD, ""])
    _both_paths(body)
    _both_paths(odd)
    for strict in (True, False):
        try:
            got: list[exposition.Sample] | str = parse_samples(body, strict=strict)
        except ParseError as exc:
            got = f"error: {exc}"
        assert _same(got, _lines(body, strict)), odd


def test_a_plain_body_takes_the_fast_path() -> None:
    body = "\n".join(["# HELP all_smi_gpu_utilization GPU utilization", GOOD,
                      GOOD.replace('"0"', '"1"').replace("85", "0.5"), ""])
    parse_samples(body)
    fast = exposition._parse_plain(body)
    assert fast is not None and [s[2] for s in fast] == [85.0, 0.5]
    assert fast[0][1] is fast[0][1] and dict(fast[1][1]) == {"gpu_uuid": "GPU-1",
                                                            "gpu_index": "1"}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(ODD_LINES) | st.text(max_size=40), max_size=6))
def test_mixed_odd_lines_read_as_the_line_path(lines: list[str]) -> None:
    _both_paths("\n".join(lines))
