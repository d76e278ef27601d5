r"""A fast tokenizer for the Prometheus text exposition format (version 0.0.4).

It yields `(name, labels, value)` and agrees with prometheus-client's parser on valid input
(tests/allsmi_py/remote/test_exposition.py holds it to that). Speed comes from two facts of
exporters like ours and all-smi's: a label block such as
`{gpu="H100", instance="n1", gpu_uuid="GPU-1", gpu_index="0"}` repeats for every family of a
device and for every round of a node, so parsed blocks are cached by their text; and most
lines need only `str.find`, slicing and `float`.

Label values are decoded as the format defines them: `\\`, `\"` and `\n` are the only
escapes. Any other backslash pair, `\r` included, is kept as written (a backslash and an
`r`), as prometheus-client's parser keeps it; Prometheus's own Go parser refuses such a line
instead, but keeping it costs one odd-looking value, not a node's whole line. Values are
returned as decoded: what is unsafe to show (a decoded newline, a raw CR, ESC, bidi
overrides) is cleaned where it enters the model (`text.clean_text`, called by parse.py).
Every fault of the body is a ParseError; nothing else leaves `parse_samples`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from allsmi_py.errors import RemoteError

Sample = tuple[str, Mapping[str, str], float]

_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
_LABEL = re.compile(r'[ \t]*([a-zA-Z_][a-zA-Z0-9_]*)[ \t]*=[ \t]*"((?:[^"\\]|\\.)*)"[ \t]*(?:,|\Z)',
                    re.S)
_ESCAPE = re.compile(r'\\[\\n"]')
_UNESCAPE = {"\\\\": "\\", "\\n": "\n", '\\"': '"'}
_EMPTY: Mapping[str, str] = {}

# Parsed label blocks by their text. Bounded in entries and in text: emptied when full, since
# a scrape round brings the same blocks back and the cost of a refill is one round of
# slow-path parsing. A block longer than an honest one (a hostile node's unique padding) is
# parsed every time and never kept, so no node can fill the cache with large blocks.
_BLOCK_CACHE: dict[str, Mapping[str, str]] = {}
_BLOCK_CACHE_MAX = 200_000
_BLOCK_CACHED_MAX_CHARS = 1024
_BLOCK_CACHE_BUDGET_CHARS = 32 * 1024 * 1024
_cached_chars = 0
_GOOD_NAMES: set[str] = set()


class ParseError(RemoteError):
    """The body is not a Prometheus text exposition we can read."""


def parse_samples(text: str | bytes, *, strict: bool = True) -> list[Sample]:
    """Every sample in an exposition; ParseError on a bad line (strict) or on no sample at all."""
    text = decoded(text)
    fast = _parse_plain(text)
    if fast is not None:
        return fast
    return _parse_lines(text, strict)


def decoded(text: str | bytes | bytearray | memoryview) -> str:
    """The body as text; ParseError when it is not UTF-8."""
    if isinstance(text, str):
        return text
    try:
        return bytes(text).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(f"body is not UTF-8 (byte {exc.start})") from None


def plain_samples(text: str) -> list[Sample] | None:
    """The samples of a body in the plain form, one per line that is not empty or a comment,
    in order; None for any other body (parse_samples reads it, or says what is wrong)."""
    return _parse_plain(text)


def _parse_plain(text: str) -> list[Sample] | None:
    """The samples of a body in the plain form, else None (then `_parse_lines` reads it).

    Plain: every line is empty, a comment, or `name{block} value` with a known name, as
    exporters write them. The loop does less per line than `_parse_lines` (no strip, no
    split): `float` of the text after the block takes the white space around the value that
    `split` would remove, and refuses what `split` would make two parts or none. So what it
    accepts it reads exactly as `_parse_lines` does (the same first `{`, last `}`, block and
    number); at the first line it cannot take, it gives the body to `_parse_lines`, which
    also finds and names the fault.
    """
    out: list[Sample] = []
    append = out.append
    cache = _BLOCK_CACHE
    names = _GOOD_NAMES
    for line in text.split("\n"):
        if not line or line[0] == "#":
            continue
        brace = line.find("{")
        close = line.rfind("}")
        name = line[:brace]
        if brace <= 0 or close < brace or name not in names:
            return None
        tail = line[close + 1:]
        if "_" in tail:
            return None
        block = line[brace + 1:close]
        labels = cache.get(block)
        try:
            if labels is None:
                labels = _labels_of(block)
            append((name, labels, float(tail)))
        except ValueError:
            return None
    return out


def _labels_of(block: str) -> Mapping[str, str]:
    labels = _parse_block(block)
    if len(block) <= _BLOCK_CACHED_MAX_CHARS:
        _remember(block, labels)
    return labels


def _parse_lines(text: str, strict: bool) -> list[Sample]:
    out: list[Sample] = []
    append = out.append
    cache = _BLOCK_CACHE
    names = _GOOD_NAMES
    bad = 0
    first_bad = ""
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.strip()
        if not line or line[0] == "#":
            continue
        try:
            brace = line.find("{")
            if brace < 0:
                name, rest = _split_name(line)
                labels = _EMPTY
            else:
                close = line.rfind("}")
                if close < brace:
                    raise ValueError("unclosed label block")
                block = line[brace + 1:close]
                labels = cache.get(block)  # type: ignore[assignment]
                if labels is None:
                    labels = _parse_block(block)
                    if len(block) <= _BLOCK_CACHED_MAX_CHARS:
                        _remember(block, labels)
                name = line[:brace]
                if name not in names:
                    name = _check_name(name.rstrip())
                rest = line[close + 1:]
            parts = rest.split()
            # float() also takes "1_000"; that is not an exposition value.
            value = _value(parts) if len(parts) != 1 or "_" in parts[0] else float(parts[0])
            append((name, labels, value))
        except ValueError as exc:
            if strict:
                raise ParseError(f"line {number}: {exc}") from None
            bad += 1
            first_bad = first_bad or f"line {number}: {exc}"
    if bad and not out:
        raise ParseError(f"no valid sample ({bad} bad lines; first {first_bad})")
    return out


def _remember(block: str, labels: Mapping[str, str]) -> None:
    global _cached_chars
    if len(_BLOCK_CACHE) >= _BLOCK_CACHE_MAX or _cached_chars >= _BLOCK_CACHE_BUDGET_CHARS:
        _BLOCK_CACHE.clear()
        _cached_chars = 0
    _BLOCK_CACHE[block] = labels
    _cached_chars += len(block)


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"bad metric name {name!r}")
    if len(_GOOD_NAMES) < _BLOCK_CACHE_MAX:
        _GOOD_NAMES.add(name)
    return name


def _split_name(line: str) -> tuple[str, str]:
    for i, char in enumerate(line):
        if char == " " or char == "\t":
            name = line[:i]
            return _check_name(name), line[i + 1:]
    raise ValueError("sample without a value")


def _value(parts: list[str]) -> float:
    if not parts or len(parts) > 2:
        raise ValueError(f"expected 'value [timestamp]', got {' '.join(parts)!r}")
    for text in parts:
        if "_" in text:
            raise ValueError(f"bad number {text!r}")
    if len(parts) == 2:
        float(parts[1])
    return float(parts[0])


def _parse_block(block: str) -> Mapping[str, str]:
    labels: dict[str, str] = {}
    pos = 0
    end = len(block.rstrip())
    while pos < end:
        match = _LABEL.match(block, pos)
        if match is None:
            raise ValueError(f"bad label block {{{block[:80]}}}")
        name, raw = match.group(1, 2)
        if name in labels:
            raise ValueError(f"duplicate label {name!r}")
        labels[name] = _ESCAPE.sub(_unescape, raw) if "\\" in raw else raw
        pos = match.end()
        if block[pos - 1] != "," and pos < end:
            raise ValueError(f"bad label block {{{block[:80]}}}")
    return labels


def _unescape(match: re.Match[str]) -> str:
    return _UNESCAPE[match.group(0)]
