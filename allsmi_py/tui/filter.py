"""The cluster view's filter (`/`): words and numeric conditions over devices, pure and UI-free.

A query is terms separated by spaces; a device matches when every term does:
  word          node name or device name contains it (case-insensitive)
  -word         neither the node name nor the device name contains it
  util>50       utilization percent        (also >= < <= = == !=)
  mem>90        memory used, percent of total
  temp>=80      temperature in C
  power>300     power draw in W
`|` separates alternatives: `util<5 | temp>85` keeps a device that matches either side.
A device that does not report a field never matches a condition on it.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

from allsmi_py.model import DeviceReading
from allsmi_py.tui.device_fields import FIELDS, field_value

MAX_QUERY_CHARS = 512

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, "<=": operator.le, "!=": operator.ne, "==": operator.eq,
    ">": operator.gt, "<": operator.lt, "=": operator.eq,
}
# A field's long name works too (util or utilization), and a few short spellings.
_ALIASES = {f.label: name for name, f in FIELDS.items() if f.label != name} | {
    "mem_pct": "mem", "pwr": "power"}
_CONDITION = re.compile(r"^([A-Za-z_]+)\s*(>=|<=|!=|==|>|<|=)\s*(.*)$")


class FilterError(ValueError):
    """The query cannot be read; `column` (1-based) says where."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"{message} at col {column}")
        self.column = column


@dataclass(frozen=True, slots=True)
class Condition:
    """`field op value`, e.g. util > 50."""

    field: str
    op: str
    value: float

    def matches(self, device: DeviceReading) -> bool:
        """True when the device reports the field and it satisfies the condition."""
        actual = field_value(self.field, device)
        return actual is not None and _OPS[self.op](actual, self.value)


@dataclass(frozen=True, slots=True)
class DeviceFilter:
    """A parsed query: every word and condition must match, no excluded word may, or else
    one of the `alternatives` (the parts after `|`) must match."""

    words: tuple[str, ...] = ()
    conditions: tuple[Condition, ...] = ()
    excluded: tuple[str, ...] = ()
    alternatives: tuple[DeviceFilter, ...] = ()

    @property
    def empty(self) -> bool:
        """True when the query keeps every device."""
        return not (self.words or self.conditions or self.excluded or self.alternatives)

    def matches(self, node_names: str, device: DeviceReading) -> bool:
        """True when the device (on a node known by `node_names`, lower-case) passes."""
        if self._clause_matches(node_names, device):
            return True
        return any(a._clause_matches(node_names, device) for a in self.alternatives)

    def _clause_matches(self, node_names: str, device: DeviceReading) -> bool:
        if self.words or self.excluded:
            haystack = node_names + "\n" + device.name.lower()
            if not all(word in haystack for word in self.words):
                return False
            if any(word in haystack for word in self.excluded):
                return False
        return all(c.matches(device) for c in self.conditions)

    def describe(self) -> str:
        """The query in canonical form, for the status line."""
        parts = list(self.words)
        parts += [f"-{word}" for word in self.excluded]
        parts += [f"{c.field}{c.op}{c.value:g}" for c in self.conditions]
        return " | ".join([" ".join(parts), *(a.describe() for a in self.alternatives)])


def _tokens(query: str, offset: int = 0) -> list[tuple[str, int]]:
    """Terms with their 1-based columns; spaces around an operator stay inside the term."""
    glued = re.sub(r"\s*(>=|<=|!=|==|>|<|=)\s*", lambda m: m.group(1), query)
    out: list[tuple[str, int]] = []
    search_from = 0
    for token in glued.split():
        head = re.split(r"(?:>=|<=|!=|==|>|<|=)", token, maxsplit=1)[0] or token
        column = query.find(head, search_from)
        column = search_from if column < 0 else column
        out.append((token, offset + column + 1))
        search_from = column + len(head)
    return out


def parse_filter(query: str) -> DeviceFilter:
    """Parse a query; raises FilterError for an unknown field, operator or number."""
    if len(query) > MAX_QUERY_CHARS:
        raise FilterError(f"query longer than {MAX_QUERY_CHARS} characters", MAX_QUERY_CHARS)
    if "|" not in query:
        return _parse_clause(query, 0)
    clauses = []
    offset = 0
    for part in query.split("|"):
        if not part.strip():
            bar = offset if offset else len(part) + 1  # the '|' next to the empty side
            raise FilterError("'|' needs a condition or word on each side", bar)
        clauses.append(_parse_clause(part, offset))
        offset += len(part) + 1
    first, *rest = clauses
    return DeviceFilter(first.words, first.conditions, first.excluded, tuple(rest))


def _parse_clause(query: str, offset: int) -> DeviceFilter:
    words: list[str] = []
    excluded: list[str] = []
    conditions: list[Condition] = []
    for token, column in _tokens(query, offset):
        match = _CONDITION.match(token)
        if match is None:
            if token[0] in "<>=!":
                raise FilterError(f"operator {token[0]!r} needs a field before it", column)
            if token[0] == "-" and len(token) > 1:
                excluded.append(token[1:].lower())
            else:
                words.append(token.lower())
            continue
        name, op, number = match.groups()
        field = _ALIASES.get(name.lower(), name.lower())
        if field not in FIELDS:
            known = ", ".join(FIELDS)
            raise FilterError(f"unknown field {name!r} (known: {known})", column)
        try:
            value = float(number)
        except ValueError:
            where = column + len(name) + len(op)
            raise FilterError(f"{name}{op} needs a number, not {number!r}", where) from None
        conditions.append(Condition(field, op, value))
    return DeviceFilter(tuple(words), tuple(conditions), tuple(excluded))
