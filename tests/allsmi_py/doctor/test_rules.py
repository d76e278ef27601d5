"""The small decisions the checks rest on: device rules, file modes, versions, one-line text."""

from __future__ import annotations

import os
import re
import stat

import pytest

from allsmi_py.doctor.checks import version_tuple
from allsmi_py.doctor.container import Rule, parse_rules
from allsmi_py.doctor.probe import Probe, clean
from allsmi_py.needs import HARDWARE_NEED_TYPES, DeviceNodes, PathPresent, Tool
from allsmi_py.plugins import backend_names, load_backend_class


@pytest.mark.parametrize(("line", "major", "minor", "allowed"), [
    ("a *:* rwm", 195, 0, True),
    ("c 195:* rwm", 195, 3, True),
    ("c 195:0 rw", 195, 0, True),
    ("c 195:0 rw", 195, 1, False),
    ("c 195:0 rw", 195, None, False),  # a rule for one minor does not cover every node
    ("c 195:* r", 195, 0, False),      # read only
    ("b 195:* rwm", 195, 0, False),    # block, not character
    ("c 226:* rwm", 195, 0, False),
])
def test_devices_list_rule(line: str, major: int, minor: int | None, allowed: bool) -> None:
    (rule,) = parse_rules(line)
    assert rule.allows(major, minor, "rw") is allowed


def test_rule_fields() -> None:
    assert parse_rules("c 195:* rwm\nnot a rule\n") == [Rule("c", "195", "*", "rwm")]


def _stat(mode: int, uid: int, gid: int) -> os.stat_result:
    return os.stat_result((stat.S_IFCHR | mode, 0, 0, 1, uid, gid, 0, 0, 0, 0))


@pytest.mark.parametrize(("mode", "uid", "gids", "access", "allowed"), [
    (0o600, 1000, set(), "rw", True),     # owner
    (0o600, 1001, set(), "rw", False),
    (0o660, 1001, {44}, "rw", True),      # group member
    (0o640, 1001, {44}, "rw", False),
    (0o666, 1001, set(), "rw", True),     # everyone
    (0o644, 1001, set(), "r", True),
    (0o000, 0, set(), "rw", True),        # root
])
def test_may_access(mode: int, uid: int, gids: set[int], access: str, allowed: bool) -> None:
    probe = Probe(uid=uid, gids=frozenset(gids))
    assert probe.may_access(_stat(mode, 1000, 44), access) is allowed


def test_versions_compare_by_number_not_text() -> None:
    assert version_tuple("2025.10.0") > version_tuple("2025.3.1")
    assert version_tuple("hl-1.17.0-fw-51.2.0")[:3] == (1, 17, 0)


def test_clean_makes_one_short_printable_line() -> None:
    assert clean("a\nb\x1b[31m c", 80) == "a b [31m c"
    assert clean("x" * 500, 20) == "x" * 17 + "..."


@pytest.mark.parametrize("name", backend_names())
def test_every_backend_declares_how_its_hardware_shows_and_tools_it_can_ask(name: str) -> None:
    cls = load_backend_class(name).backend_class
    assert cls is not None
    assert any(isinstance(need, HARDWARE_NEED_TYPES) for need in cls.needs), name
    for need in cls.needs:
        if isinstance(need, Tool):
            assert need.names and need.fix and callable(need.run)
        if isinstance(need, DeviceNodes | PathPresent):
            patterns = need.patterns if isinstance(need, DeviceNodes) else (need.pattern,)
            for pattern in patterns:  # Probe.glob takes wildcards in the last part only
                assert pattern.startswith("/") and not re.search(r"[*?[]", os.path.dirname(pattern))
