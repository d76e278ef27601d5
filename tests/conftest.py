"""Every test runs with its own XDG state folder, so nothing a test runs writes to the real one.

`allsmi local` and `allsmi api` keep energy totals under $XDG_STATE_HOME (allsmi_py/energy);
without this a test run would leave (and read back) ~/.local/state/allsmi/energy.json.
Subprocesses inherit the variable; commands started through tmux set it themselves.
"""

from __future__ import annotations

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
