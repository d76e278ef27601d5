"""`make run ARGS=...` hands its flags to allsmi local (issue 15: the TUI's mock hint)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_make_run_passes_args_to_allsmi_local() -> None:
    if shutil.which("make") is None:
        pytest.skip("make not installed")
    # -n prints the recipe without running it (nor the venv install, when that is stale).
    done = subprocess.run(["make", "-n", "-C", str(ROOT), "run", "ARGS=--mock h100:8"],
                          capture_output=True, text=True, timeout=30, check=True)
    assert ".venv/bin/allsmi local --mock h100:8" in done.stdout.splitlines()
