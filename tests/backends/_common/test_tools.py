"""run_tool and StreamingTool against real, hostile child processes (`python -c` scripts).

Each fake tool misbehaves as vendor tools have: bytes that are not UTF-8, output with no end,
a hang, a child that outlives it holding stdout (tegrastats' close() blocked for 15 s and left
orphans), SIGTERM ignored. Every test is bounded by small timeouts of its own.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from allsmi_py.errors import BackendReadError, BackendUnavailable
from backends._common.tools import (
    MIB,
    StreamingTool,
    run_tool,
    run_tool_result,
)
from tests.backends._common.processes import (
    grandchild_pid_file,
    is_gone,
    read_pid,
    spawn_sleeper,
    tool,
    traced_peak,
    wait_gone,
)

WRITE_100_MB = (
    "import sys\nchunk = b'x' * (1 << 20)\n"
    "for _ in range(100):\n    sys.stdout.buffer.write(chunk)\n"
)


@pytest.fixture
def pid_file(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    return grandchild_pid_file(tmp_path, request)


class Records:
    """An on_record callback that keeps every record and signals when `until` arrives."""

    def __init__(self, until: str) -> None:
        self.until = until
        self.seen: list[str] = []
        self.done = threading.Event()

    def __call__(self, record: str) -> None:
        self.seen.append(record)
        if record == self.until:
            self.done.set()


# run_tool


def test_bytes_that_are_not_utf8_become_replacement_characters() -> None:
    out = run_tool(tool("import sys; sys.stdout.buffer.write(b'ok \\xff\\xfe\\r\\nend\\n')"), 10)
    assert out == "ok \ufffd\ufffd\nend\n"


def test_100_mb_of_output_is_cut_at_the_cap_in_bounded_memory(pid_file: Path) -> None:
    argv = tool(f"import os\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
                + WRITE_100_MB)
    started = time.monotonic()
    with traced_peak() as peak, pytest.raises(BackendReadError, match="output over 16 MiB"):
        run_tool(argv, 30)
    assert time.monotonic() - started < 15
    assert peak.bytes < 40 * MIB, f"peak {peak.bytes / MIB:.0f} MiB"
    assert wait_gone(read_pid(pid_file))


def test_a_smaller_cap_is_honoured() -> None:
    with pytest.raises(BackendReadError, match=r"output over 0.5 MiB"):
        run_tool(tool(WRITE_100_MB), 30, max_output_bytes=MIB // 2)
    assert len(run_tool(tool("print('x' * 1000)"), 10, max_output_bytes=1001)) == 1001


def test_timeout_kills_the_whole_group(pid_file: Path) -> None:
    argv = tool(spawn_sleeper(pid_file) + "import time; time.sleep(30)\n")
    started = time.monotonic()
    with pytest.raises(BackendReadError, match="did not answer within 1 s"):
        run_tool(argv, 1.0)
    assert time.monotonic() - started < 4
    assert wait_gone(read_pid(pid_file))


def test_nonzero_exit_carries_the_stderr_tail() -> None:
    argv = tool("import sys; print('out'); sys.stderr.write('warning\\nno device found\\n\\n');"
                " sys.exit(4)")
    with pytest.raises(BackendReadError, match=r"exited with 4: no device found$"):
        run_tool(argv, 10)
    result = run_tool_result(argv, 10)
    assert (result.returncode, result.stdout, result.stderr_tail()) == (4, "out\n",
                                                                      "no device found")


def test_endless_stderr_keeps_only_its_tail() -> None:
    argv = tool("import sys\nfor _ in range(40):\n    sys.stderr.write('e' * (1 << 20))\n"
                "sys.stderr.write('\\nlast words\\n'); sys.exit(2)")
    result = run_tool_result(argv, 30)
    assert result.returncode == 2
    assert len(result.stderr) < 200 * 1024
    assert result.stderr_tail() == "last words"


def test_a_child_left_on_the_pipes_does_not_hold_the_answer(pid_file: Path) -> None:
    argv = tool(spawn_sleeper(pid_file) + "print('answer', flush=True)\n")
    started = time.monotonic()
    out = run_tool(argv, 20)
    assert time.monotonic() - started < 5
    assert "answer" in out.splitlines()
    assert wait_gone(read_pid(pid_file))


def test_missing_tool_cannot_run(tmp_path: Path) -> None:
    with pytest.raises(BackendReadError, match="cannot run"):
        run_tool([str(tmp_path / "absent")], 5)


def test_cancel_stops_a_running_tool_promptly(pid_file: Path) -> None:
    cancel = threading.Event()
    argv = tool(spawn_sleeper(pid_file) + "import time; time.sleep(30)\n")
    threading.Timer(0.3, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(BackendReadError, match="was stopped"):
        run_tool_result(argv, 20, cancel=cancel)
    assert time.monotonic() - started < 3
    assert wait_gone(read_pid(pid_file))


def test_env_reaches_the_tool() -> None:
    argv = tool("import os; print(os.environ['NO_COLOR'])")
    assert run_tool(argv, 10, env={**os.environ, "NO_COLOR": "1"}) == "1\n"


# StreamingTool


def test_the_reader_survives_any_bytes() -> None:
    records = Records(until="last")
    body = ("import sys\nsys.stdout.buffer.write(bytes(range(256)) * 4 + b'\\n\\xff\\xfe\\xfd\\n'"
            " + b'\\x00\\r\\n' + b'last\\n'); sys.stdout.flush()\nimport time; time.sleep(30)\n")
    stream = StreamingTool(tool(body), on_record=records)
    stream.start()
    try:
        assert records.done.wait(5)
        assert stream.latest(1) == "last"
        assert "\ufffd\ufffd\ufffd" in records.seen
    finally:
        stream.close()


def test_an_overlong_line_is_dropped_and_counted_and_reading_goes_on() -> None:
    records = Records(until="ok")
    body = ("import sys\nsys.stdout.buffer.write(b'x' * (3 << 20) + b'\\nok\\n');"
            " sys.stdout.flush()\nimport time; time.sleep(30)\n")
    stream = StreamingTool(tool(body), on_record=records)
    stream.start()
    try:
        assert records.done.wait(5)
        assert records.seen == ["ok"]
        assert stream.dropped == 1
        assert stream.latest(1) == "ok"
    finally:
        stream.close()


def test_100_mb_without_a_newline_stays_in_bounded_memory() -> None:
    records = Records(until="after")
    body = (WRITE_100_MB + "sys.stdout.buffer.write(b'\\nafter\\n'); sys.stdout.flush()\n"
            "import time; time.sleep(30)\n")
    stream = StreamingTool(tool(body), on_record=records)
    try:
        with traced_peak() as peak:
            stream.start()
            assert records.done.wait(20)
    finally:
        stream.close()
    assert records.seen == ["after"]
    assert stream.dropped == 1
    assert peak.bytes < 8 * MIB, f"peak {peak.bytes / MIB:.0f} MiB"


def test_an_overlong_last_record_is_a_read_error() -> None:
    body = ("import sys\nsys.stdout.write('ok\\n' + 'x' * (2 << 20)); sys.stdout.flush()\n"
            "import time; time.sleep(30)\n")
    stream = StreamingTool(tool(body))
    stream.start()
    try:
        deadline = time.monotonic() + 5
        while stream.dropped == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        with pytest.raises(BackendReadError, match="printed a line over 1 MiB"):
            stream.latest(1)
    finally:
        stream.close()


@pytest.mark.parametrize("ignore_term", [False, True], ids=["sleeper", "ignores-sigterm"])
def test_close_kills_a_grandchild_holding_stdout(pid_file: Path, ignore_term: bool) -> None:
    body = spawn_sleeper(pid_file, ignore_term=ignore_term) + "import time; time.sleep(30)\n"
    stream = StreamingTool(tool(body))
    stream.start()
    assert stream.latest(5) == "sleeper up"  # printed by the grandchild, once it is set up
    pid = read_pid(pid_file)
    started = time.monotonic()
    stream.close(grace_s=0.5)
    assert time.monotonic() - started < 3
    assert wait_gone(pid)
    stream.close()


def test_a_tool_that_exits_leaving_a_child_on_stdout(pid_file: Path) -> None:
    stream = StreamingTool(tool(spawn_sleeper(pid_file) + "import sys; sys.exit(5)\n"))
    stream.start()
    pid = read_pid(pid_file)
    deadline = time.monotonic() + 5
    while stream.returncode() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    with pytest.raises(BackendReadError, match="exited with status 5"):
        stream.latest(0.5)
    started = time.monotonic()
    stream.close()
    assert time.monotonic() - started < 3
    assert wait_gone(pid)


def test_a_callback_that_raises_does_not_stop_the_reader() -> None:
    seen: list[str] = []
    done = threading.Event()

    def on_record(record: str) -> None:
        seen.append(record)
        if record == "second":
            done.set()
        raise ValueError("bad record")

    stream = StreamingTool(tool("print('first'); print('second', flush=True)\n"
                                "import time; time.sleep(30)"), on_record=on_record)
    stream.start()
    try:
        assert done.wait(5)
        assert seen == ["first", "second"]
        assert stream.callback_errors == 2
    finally:
        stream.close()


def test_exit_status_and_stderr_tail() -> None:
    stream = StreamingTool(tool("import sys; sys.stderr.write('warn\\nfatal: no device\\n');"
                                " sys.exit(1)"))
    stream.start()
    try:
        assert stream.wait_ready(5)
        assert stream.returncode() == 1
        assert stream.stderr_tail() == "fatal: no device"
        with pytest.raises(BackendReadError, match="exited with status 1"):
            stream.latest(1)
    finally:
        stream.close()


def test_silent_and_stale_tools_are_read_errors() -> None:
    stream = StreamingTool(tool("import time; time.sleep(30)"), name="fake", record_name="sample")
    stream.start()
    try:
        with pytest.raises(BackendReadError, match="fake printed no sample within 0.2 s"):
            stream.latest(0.2)
    finally:
        stream.close()
    stream = StreamingTool(tool("print('one', flush=True); import time; time.sleep(30)"),
                           stale_after_s=0.2)
    stream.start()
    try:
        assert stream.latest(5) == "one"
        time.sleep(0.3)  # staleness is a matter of time: nothing to await
        with pytest.raises(BackendReadError, match="has printed nothing for"):
            stream.latest(0.1)
    finally:
        stream.close()


def test_nul_separated_samples() -> None:
    body = ("import sys; sys.stdout.write('<a/>\\0<b/>\\0<c'); sys.stdout.flush()\n"
            "import time; time.sleep(30)")
    stream = StreamingTool(tool(body), separator=b"\0")
    stream.start()
    try:
        assert stream.latest(5) == "<b/>"
    finally:
        stream.close()


def test_missing_tool_is_unavailable_and_unstarted_close_is_harmless(tmp_path: Path) -> None:
    stream = StreamingTool([str(tmp_path / "absent")])
    with pytest.raises(BackendUnavailable, match="cannot run"):
        stream.start()
    with pytest.raises(BackendReadError, match="was not started"):
        stream.latest(0.1)
    stream.close()
    assert not is_gone(os.getpid())
