"""The guard itself: walks a reading with the rules, refuses, and says why in `problems`."""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Mapping
from typing import Any

from allsmi_py.model import DeviceReading, HostReading, NodeSnapshot
from allsmi_py.plausible.rules import NESTED, RULES, SENTINELS, Lookup, Rule, cap, shown

MAX_PROBLEMS = 8  # per reading; the last says how many more were refused


class _Guarded:
    """Refused fields of one reading and the problem lines that name them."""

    __slots__ = ("changes", "lines", "obj", "parent")

    def __init__(self, obj: Any, parent: Lookup | None) -> None:
        self.obj = obj
        self.parent = parent
        self.changes: dict[str, Any] = {}
        self.lines: list[str] = []

    def lookup(self, name: str) -> Any:
        if name in self.changes:
            return self.changes[name]
        if hasattr(self.obj, name):
            return getattr(self.obj, name)
        return self.parent(name) if self.parent is not None else None

    def check(self, rules: Mapping[str, tuple[Rule, bool]], names: list[str],
              prefix: str) -> None:
        for name in names:
            rule, sequence = rules[name]
            value = getattr(self.obj, name)
            if value is None:
                continue
            if sequence:
                self._check_sequence(name, rule, value, prefix)
                continue
            if rule.passes(value, self.lookup):
                if value == 0 and type(value) is float and math.copysign(1.0, value) < 0:
                    self.changes[name] = 0.0
                continue
            reason = rule.refusal(value, self.lookup)
            if reason is not None:
                self.changes[name] = None
                self.lines.append(f"{prefix}{name}: {shown(value)} {reason}")
            elif value == 0 and isinstance(value, float) and math.copysign(1.0, value) < 0:
                self.changes[name] = 0.0

    def _check_sequence(self, name: str, rule: Rule, value: Any, prefix: str) -> None:
        if not isinstance(value, tuple | list):
            self.changes[name] = ()
            self.lines.append(f"{prefix}{name}: {shown(value)} is not a sequence of numbers")
            return
        items = tuple(value)
        if all(rule.passes(item, self.lookup) and item != 0 for item in items):
            if value is not items:  # a list where the model says tuple
                self.changes[name] = items
            return  # the common case: no refusal, no -0.0
        bad = [(item, reason) for item in items
               if (reason := rule.refusal(item, self.lookup)) is not None]
        if bad:
            self.changes[name] = ()
            self.lines.append(f"{prefix}{name}: {shown(bad[0][0])} {bad[0][1]}"
                              + (f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""))
        else:  # -0.0 among them, or a list
            self.changes[name] = tuple(0.0 if v == 0 else v for v in items)


def _model_of(obj: Any) -> type | None:
    if type(obj) in RULES:
        return type(obj)
    return next((model for model in RULES if isinstance(obj, model)), None)


Screen = typing.Callable[[Any], list[str]]


def _screen(model: type, rules: Mapping[str, tuple[Rule, bool]]) -> Screen:
    """One generated function per reading type: the names of the fields that need a closer
    look (in checking order). Every other field holds a value of its own type, within its
    bounds, no sentinel and no -0.0: almost all of them, almost always."""
    own = {f.name for f in dataclasses.fields(model)}
    lines = ["def screen(o):", "    out = []"]
    for name, (rule, sequence) in rules.items():
        lines.append(f"    v = o.{name}")
        kind = "type(v) is int" if rule.kind is int else "(type(v) is float or type(v) is int)"
        top = repr(rule.high)
        if rule.against:
            args = ", ".join(f"o.{n}" for n in rule.against)
            top = f"cap({rule.floor!r}, {rule.factor!r}, {rule.high!r}, {args})"
        if sequence or not set(rule.against) <= own:
            fine = "not v" if sequence else "v is None"  # capped by its device's: look closer
        elif rule.kind is bool:
            fine = "v is None or type(v) is bool"
        else:
            # a cap that was itself refused is no cap: look closer
            kept_caps = "".join(f"{n!r} not in out and " for n in rule.against)
            fine = (f"v is None or ({kept_caps}{kind} and {rule.low!r} <= v <= {top} "
                    "and v not in S and (v or copysign(1.0, v) > 0))")
        lines.append(f"    if not ({fine}): out.append({name!r})")
    lines.append("    return out")
    namespace: dict[str, Any] = {"S": SENTINELS, "copysign": math.copysign, "cap": cap}
    exec("\n".join(lines), namespace)  # noqa: S102 - our own field names, from type hints
    screen: Screen = namespace["screen"]
    return screen


SCREENS = {model: _screen(model, rules) for model, rules in RULES.items()}
_CLEAN = _Guarded(None, None)  # shared by every reading with nothing to refuse: never changed


def _guard(obj: Any, prefix: str = "", parent: Lookup | None = None) -> _Guarded:
    model = _model_of(obj)
    if model is None:  # anything else inside a reading is the collector's to refuse
        return _CLEAN
    suspects = SCREENS[model](obj)
    inside = [(name, sequence, value) for name, (_kind, sequence) in NESTED[model].items()
              if (value := getattr(obj, name)) is not None and value != ()]
    if not suspects and not inside:
        return _CLEAN
    guarded = _Guarded(obj, parent)
    if suspects:
        guarded.check(RULES[model], suspects, prefix)
    for name, sequence, value in inside:
        if not sequence:
            items = [value]
        elif isinstance(value, tuple | list):
            items = list(value)
        else:
            continue
        children = [_guard(item, f"{prefix}{name}[{i}]." if sequence else f"{prefix}{name}.",
                           guarded.lookup) for i, item in enumerate(items)]
        for child in children:
            guarded.lines.extend(child.lines)
        if any(child.changes for child in children) or isinstance(value, list):
            replaced = [_replaced(child, item) for child, item in zip(children, items,
                                                                       strict=True)]
            guarded.changes[name] = tuple(replaced) if sequence else replaced[0]
    return guarded


def _replaced(guarded: _Guarded, original: Any) -> Any:
    return dataclasses.replace(original, **guarded.changes) if guarded.changes else original


def _bounded(lines: list[str]) -> tuple[str, ...]:
    if len(lines) <= MAX_PROBLEMS:
        return tuple(lines)
    kept = lines[:MAX_PROBLEMS - 1]
    return (*kept, f"and {len(lines) - len(kept)} more implausible values")


ReadingT = typing.TypeVar("ReadingT", DeviceReading, HostReading)


def guard(reading: ReadingT) -> ReadingT:
    """`reading` with every implausible value None, each named in its `problems`.

    The reading itself when all is plausible (the common case costs no copy).
    """
    guarded: _Guarded = _guard(reading)
    if not guarded.changes:
        return reading
    if guarded.lines:
        problems: Any = reading.problems
        earlier: tuple[str, ...] = problems if isinstance(problems, tuple) else ()
        guarded.changes["problems"] = (*earlier, *_bounded(guarded.lines))
    result: ReadingT = dataclasses.replace(reading, **guarded.changes)
    return result


def guard_snapshot(snapshot: NodeSnapshot) -> NodeSnapshot:
    """`snapshot` with every device and the host guarded: what a remote node sent."""
    devices = tuple(guard(device) for device in snapshot.devices)
    host = guard(snapshot.host) if snapshot.host is not None else None
    if host is snapshot.host and all(a is b for a, b in zip(devices, snapshot.devices,
                                                            strict=True)):
        return snapshot
    return dataclasses.replace(snapshot, devices=devices, host=host)


_PARTIAL: dict[tuple[type, frozenset[str]], Screen] = {}
_PARTIAL_MAX = 4096
# Readings with nothing to guard, within or without (a device's pod containers)
_INERT = frozenset(model for model in RULES if not RULES[model] and not NESTED[model])


def guard_changed(reading: ReadingT, changed: frozenset[str]) -> ReadingT:
    """guard(reading) for a reading that is one `guard` returned as it was, with only the
    fields `changed` new (the text path's patched rounds): only those and the fields they
    cap are screened again; anything suspect, or a reading within, takes the whole guard."""
    model = _model_of(reading)
    if model is None or any(getattr(reading, name) not in (None, ())
                            for name, (kind, _) in NESTED[model].items() if kind not in _INERT):
        return guard(reading)
    key = (model, changed)
    screen = _PARTIAL.get(key)
    if screen is None:
        rules = RULES[model]
        affected = {name: rule for name, rule in rules.items()
                    if name in changed or not changed.isdisjoint(rule[0].against)}
        if len(_PARTIAL) >= _PARTIAL_MAX:
            _PARTIAL.clear()
        screen = _PARTIAL[key] = _screen(model, affected)
    return guard(reading) if screen(reading) else reading
