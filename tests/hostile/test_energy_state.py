"""The energy state file: corrupt, truncated, huge, wrong types, a symlink, an unwritable dir.

Every case starts from zero with one line in `problem`, and never raises.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from allsmi_py.energy.store import (
    MAX_FILE_BYTES,
    MAX_SOURCES,
    STATE_FORMAT,
    EnergyStore,
    default_state_path,
)


def write(path: Path, text: str | bytes) -> EnergyStore:
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return EnergyStore(path)


def good(totals: object) -> str:
    return json.dumps({"format": STATE_FORMAT, "totals_j": totals})


def test_round_trip(tmp_path: Path) -> None:
    store = EnergyStore(tmp_path / "state" / "energy.json")
    assert store.load() == {}
    assert store.problem is None  # a missing file is a first run, not a problem
    assert store.save({"GPU-1": 1234.5678, "host:cpu": 10.0})
    assert EnergyStore(store.path).load() == {"GPU-1": 1234.568, "host:cpu": 10.0}
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    assert [p.name for p in store.path.parent.iterdir()] == ["energy.json"]  # no tmp left


@pytest.mark.parametrize(("body", "why"), [
    ("", "corrupt"),
    ('{"format": "allsmi-py/energy/1", "totals_j": {"GPU-1": 12', "corrupt"),  # truncated
    ("\x00\xff\xfe garbage", "corrupt"),
    ("[1, 2, 3]", "corrupt"),
    ('{"format": "someone-else/1", "totals_j": {}}', "corrupt"),
    (good([1, 2]), "corrupt"),
    (good({"GPU-1": "12"}), "corrupt"),
    (good({"GPU-1": True}), "corrupt"),
    (good({"GPU-1": -5}), "corrupt"),
    (good({"GPU-1": 1e300}), "corrupt"),
    (good({"GPU-1": None}), "corrupt"),
    (good({"": 5}), "corrupt"),
    (good({"x" * 300: 5}), "corrupt"),
    ('{"format": "allsmi-py/energy/1", "totals_j": {"a": NaN}}', "corrupt"),
    ('{"format": "allsmi-py/energy/1", "totals_j": {"a": Infinity}}', "corrupt"),
    ("[" * 100_000 + "]" * 100_000, "corrupt"),  # deep nesting
])
def test_refused_documents_start_from_zero(tmp_path: Path, body: str, why: str) -> None:
    store = write(tmp_path / "energy.json", body)
    assert store.load() == {}
    assert store.problem is not None
    assert why in store.problem and str(store.path) in store.problem
    assert "\n" not in store.problem and len(store.problem) < 400
    # set aside, not lost: the next save writes a fresh file
    assert not store.path.exists()
    assert (tmp_path / "energy.json.corrupt").read_bytes() == (
        body.encode() if isinstance(body, str) else body)
    assert "kept as energy.json.corrupt" in store.problem


def test_too_many_sources(tmp_path: Path) -> None:
    store = write(tmp_path / "energy.json", good({f"d{i}": 1 for i in range(MAX_SOURCES + 1)}))
    assert store.load() == {}
    assert store.problem is not None and "corrupt" in store.problem


def test_huge_file_is_not_read_whole(tmp_path: Path) -> None:
    store = write(tmp_path / "energy.json", b" " * (MAX_FILE_BYTES + 10) + good({}).encode())
    assert store.load() == {}
    assert store.problem is not None and "larger than" in store.problem


def test_a_symlink_is_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.json"
    target.write_text(good({"GPU-1": 5}))
    link = tmp_path / "energy.json"
    link.symlink_to(target)
    store = EnergyStore(link)
    assert store.load() == {}
    assert store.problem is not None and "cannot be read" in store.problem


def test_a_directory_in_its_place(tmp_path: Path) -> None:
    (tmp_path / "energy.json").mkdir()
    store = EnergyStore(tmp_path / "energy.json")
    assert store.load() == {}
    assert store.problem is not None
    assert not store.save({"a": 1.0})


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_unwritable_directory_is_reported_once(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        store = EnergyStore(locked / "energy.json")
        assert not store.save({"a": 1.0})
        assert store.problem is not None and "cannot be written" in store.problem
        store.problem = None
        assert not store.save({"a": 2.0})
        assert store.problem is None  # the same trouble is not reported again
        locked.chmod(0o700)
        assert store.save({"a": 3.0})
        assert EnergyStore(locked / "energy.json").load() == {"a": 3.0}
    finally:
        locked.chmod(0o700)


def test_parent_that_is_a_file_is_reported_once_until_it_works(tmp_path: Path) -> None:
    (tmp_path / "state").write_text("a file")
    store = EnergyStore(tmp_path / "state" / "energy.json")
    assert not store.save({"a": 1.0})
    assert store.problem is not None and "cannot be written" in store.problem
    store.problem = None
    assert not store.save({"a": 2.0})
    assert store.problem is None
    (tmp_path / "state").unlink()
    assert store.save({"a": 3.0})
    assert EnergyStore(store.path).load() == {"a": 3.0}


def test_default_path_follows_xdg_state_home(tmp_path: Path) -> None:
    assert default_state_path({"XDG_STATE_HOME": str(tmp_path)}) == \
        tmp_path / "allsmi" / "energy.json"
    relative = default_state_path({"XDG_STATE_HOME": "relative/dir"})
    assert relative == Path.home() / ".local" / "state" / "allsmi" / "energy.json"
    assert default_state_path({}) == Path.home() / ".local" / "state" / "allsmi" / "energy.json"
