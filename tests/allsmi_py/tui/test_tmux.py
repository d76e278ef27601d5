"""End to end in a real terminal: `allsmi local --mock h100:4` in a detached tmux session."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

TMUX = shutil.which("tmux")
ALLSMI = Path(sys.executable).with_name("allsmi")
pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed (apt-get install tmux)")
# COLUMNS/LINES (pytest-xdist's workers set 80x24) would override the pane's size for Textual;
# set in the command itself, since a tmux server started earlier keeps its own environment.
CLEAN_ENV = "env -u COLUMNS -u LINES"


def _tmux(session: str, *args: str) -> subprocess.CompletedProcess[str]:
    """tmux on a server of the session's own (-L): a server shared between tests exits when
    one test kills the last session, and the next test's new-session could meet it dying."""
    assert TMUX is not None
    return subprocess.run([TMUX, "-L", session, *args], capture_output=True, text=True,
                          timeout=10)


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
    command = (f"cd {tmp_path} && {CLEAN_ENV} XDG_STATE_HOME={tmp_path} {ALLSMI} local "
               "--mock h100:4 --seed 3; sleep 0")
    env = {**os.environ, "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    subprocess.run([TMUX, "-L", session, "new-session", "-d", "-s", session, "-x", "120", "-y",
                    "40", command],
                   check=True, env=env, timeout=10)
    try:
        def screen() -> str:
            return _tmux(session, "capture-pane", "-p", "-t", session).stdout

        assert _wait_for(lambda: screen().count("NVIDIA H100 80GB HBM3") >= 4, 30), screen()
        text = screen()
        for index in range(4):
            assert f"NVIDIA GPU {index} · NVIDIA H100 80GB HBM3" in text
        assert re.search(r"Util [█░]+ +\d+%", text)
        assert re.search(r"\d+\.\d/79\.6 GiB", text)
        assert re.search(r"Pwr \d+/700 W", text)
        assert "PID" in text and "GPU-MEM" in text and "4 devices" in text
        _tmux(session, "send-keys", "-t", session, "q")
        ended = _wait_for(lambda: _tmux(session, "has-session", "-t", session).returncode != 0, 10)
        assert ended, "allsmi did not exit on q"
    finally:
        _tmux(session, "kill-session", "-t", session)


_SGR = re.compile(r"\x1b\[([0-9;]*)m")
_GRAY_CUBE = {16, 59, 102, 145, 188, 231}  # the 6x6x6 cube's r == g == b entries


def _hued_colours(escaped: str) -> set[str]:
    """Foreground/background colours in SGR sequences that are not a shade of grey."""
    hued: set[str] = set()
    for match in _SGR.finditer(escaped):
        codes = [int(c) if c else 0 for c in match.group(1).split(";")]
        i = 0
        while i < len(codes):
            code = codes[i]
            if code in (38, 48) and i + 2 < len(codes) and codes[i + 1] == 5:
                index = codes[i + 2]
                if not (index >= 232 or index in _GRAY_CUBE or index in (0, 7, 8, 15)):
                    hued.add(f"{code};5;{index}")
                i += 3
            elif code in (38, 48) and i + 4 < len(codes) and codes[i + 1] == 2:
                r, g, b = codes[i + 2:i + 5]
                if not r == g == b:
                    hued.add(f"{code};2;{r};{g};{b}")
                i += 5
            else:
                if 31 <= code <= 36 or 41 <= code <= 46 or 91 <= code <= 96 or 101 <= code <= 106:
                    hued.add(str(code))
                i += 1
    return hued


def _screen_with_escapes(tmp_path: Path, no_color: bool) -> str:
    assert TMUX is not None
    session = f"allsmi-test-{uuid.uuid4().hex[:8]}"
    # Set in the command itself: a tmux server started earlier keeps its own environment.
    setting = "NO_COLOR=1" if no_color else "-u NO_COLOR"
    command = (f"cd {tmp_path} && {CLEAN_ENV} {setting} TERM=xterm-256color "
               f"XDG_STATE_HOME={tmp_path} {ALLSMI} local --mock h100:2 --seed 3; sleep 0")
    subprocess.run([TMUX, "-L", session, "new-session", "-d", "-s", session, "-x", "120", "-y",
                    "40", command],
                   check=True, timeout=10)
    try:
        def screen() -> str:
            return _tmux(session, "capture-pane", "-e", "-p", "-t", session).stdout

        assert _wait_for(lambda: screen().count("NVIDIA H100 80GB HBM3") >= 2, 30), screen()
        return screen()
    finally:
        _tmux(session, "kill-session", "-t", session)


def test_no_color_renders_only_shades_of_grey(tmp_path: Path) -> None:
    if not ALLSMI.exists():
        pytest.skip(f"no console script next to the interpreter: {ALLSMI}")
    coloured = _screen_with_escapes(tmp_path, no_color=False)
    assert _hued_colours(coloured), "the normal theme should use colour"
    plain = _screen_with_escapes(tmp_path, no_color=True)
    assert _SGR.search(plain)  # still styled (bold, shades), just without hue
    assert _hued_colours(plain) == set()


MOCK = Path(sys.executable).with_name("allsmi-mock")
_CLOCK = re.compile(r"\b(\d\d:\d\d:\d\d)\b")


@pytest.fixture
def mock_cluster(tmp_path: Path) -> Iterator[Path]:
    """`allsmi-mock` with 4 nodes on OS-chosen ports, one of which never answers."""
    if not MOCK.exists():
        pytest.skip(f"no console script next to the interpreter: {MOCK}")
    hostfile = tmp_path / "hosts.txt"
    process = subprocess.Popen(
        [str(MOCK), "--nodes", "4", "--start-port", "0", "--hostfile", str(hostfile),
         "--fail-timeout", "1", "--seed", "3", "--interval", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert _wait_for(lambda: hostfile.exists() and
                         len(hostfile.read_text().split()) == 4, 20), "mock did not start"
        yield hostfile
    finally:
        process.terminate()
        process.wait(10)


def test_cluster_view_keeps_its_interval_with_a_node_that_never_answers(
        mock_cluster: Path, tmp_path: Path) -> None:
    """Issue 15: the header clock stepped every --timeout (5 s) while one node hung; now it
    keeps --interval (1 s), the hung node shows slow, then timeout, and the rest stay live."""
    if not ALLSMI.exists():
        pytest.skip(f"no console script next to the interpreter: {ALLSMI}")
    assert TMUX is not None
    session = f"allsmi-test-{uuid.uuid4().hex[:8]}"
    command = (f"cd {tmp_path} && {CLEAN_ENV} {ALLSMI} view --hostfile {mock_cluster} "
               f"--interval 1 --timeout 5; sleep 0")
    subprocess.run([TMUX, "-L", session, "new-session", "-d", "-s", session, "-x", "120", "-y",
                    "40", command],
                   check=True, env={**os.environ, "TERM": "xterm-256color"}, timeout=10)
    try:
        def screen() -> str:
            return _tmux(session, "capture-pane", "-p", "-t", session).stdout

        assert _wait_for(lambda: "Nodes 3/4" in screen(), 30), screen()
        stamps: list[str] = []
        states: set[str] = set()
        end = time.monotonic() + 7.0
        while time.monotonic() < end:
            text = screen()
            header = text.splitlines()[0] if text else ""
            found = _CLOCK.search(header)
            if found and (not stamps or stamps[-1] != found.group(1)):
                stamps.append(found.group(1))
            states |= {s for s in ("slow:", "timeout:") if s in text}
            time.sleep(0.2)
        # One round per --timeout would give 2 stamps in 7 s; one per interval gives ~7.
        assert len(stamps) >= 5, stamps
        assert states == {"slow:", "timeout:"}, screen()
        assert "node-0001" in screen() and "Nodes 3/4 (1 down)" in screen()
        assert "cluster view hostfile" in screen().splitlines()[0]
        # 80x24: the compact layout keeps every reading of a device row (issue 15 item 5).
        _tmux(session, "resize-window", "-t", session, "-x", "80", "-y", "24")
        assert _wait_for(lambda: "TEMP" in screen() and "POWER" in screen(), 10), screen()
        row = next(line for line in screen().splitlines() if "node-0001" in line)
        assert re.search(r"\d+%.*GiB.*\d+°C.*/700W ok", row), row
        _tmux(session, "send-keys", "-t", session, "q")
        assert _wait_for(lambda: _tmux(session, "has-session", "-t", session).returncode != 0, 10)
    finally:
        _tmux(session, "kill-session", "-t", session)
