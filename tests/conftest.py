"""Every test runs with its own XDG state folder, so nothing a test runs writes to the real one,
and with the garbage collector as Python starts it (a test that builds `allsmi view`'s app
turns the automatic collector off and freezes the heap: allsmi_py/gc_tuning.py).

`allsmi local` and `allsmi api` keep energy totals under $XDG_STATE_HOME (allsmi_py/energy);
without this a test run would leave (and read back) ~/.local/state/allsmi/energy.json.
Subprocesses inherit the variable; commands started through tmux set it themselves.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def private_state_home(tmp_path_factory: pytest.TempPathFactory,
                       monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh XDG_STATE_HOME for each test."""
    folder = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("XDG_STATE_HOME", str(folder))
    yield folder


@pytest.fixture(autouse=True)
def automatic_gc() -> Iterator[None]:
    """The collector back on, and nothing frozen, after each test."""
    yield
    gc.unfreeze()
    gc.enable()
