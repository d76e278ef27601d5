"""End to end in a real terminal: `allsmi local --mock h100:4` in a detached tmux session."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

TMUX = shutil.which("tmux")
ALLSMI = Path(sys.executable).with_name("allsmi")
pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed (apt-get install tmux)")


def _tmux(*args: str) -> subprocess.CompletedProcess[str]:
    assert TMUX is not None
    return subprocess.run([TMUX, *args], capture_output=True, text=True, timeout=10)


def _wait_for(predicate: object, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


def test_local_view_in_tmux_shows_devices_and_quits_on_q(tmp_path: Path) -> None:
    if not ALLSMI.exists():
        pytest.skip(f"no console script next to the interpreter: {ALLSMI}")
    assert TMUX is not None
    session = f"allsmi-test-{uuid.uuid4().hex[:8]}"
    command = f"cd {tmp_path} && {ALLSMI} local --mock h100:4 --seed 3; sleep 0"
    env = {**os.environ, "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    subprocess.run([TMUX, "new-session", "-d", "-s", session, "-x", "120", "-y", "40", command],
                   check=True, env=env, timeout=10)
    try:
        def screen() -> str:
            return _tmux("capture-pane", "-p", "-t", session).stdout

        assert _wait_for(lambda: screen().count("NVIDIA H100 80GB HBM3") >= 4, 30), screen()
        text = screen()
        for index in range(4):
            assert f"NVIDIA GPU {index} · NVIDIA H100 80GB HBM3" in text
        assert re.search(r"Util [█░]+ +\d+%", text)
        assert re.search(r"\d+\.\d/79\.6 GiB", text)
        assert re.search(r"Pwr \d+/700 W", text)
        assert "PID" in text and "GPU-MEM" in text and "4 devices" in text
        _tmux("send-keys", "-t", session, "q")
        assert _wait_for(lambda: _tmux("has-session", "-t", session).returncode != 0, 10), \
            "allsmi did not exit on q"
    finally:
        _tmux("kill-session", "-t", session)
