"""The local view's process table keys: `t` tree, `H` host processes, and the selected
process's history in the table's bottom border."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

from textual.pilot import Pilot

from allsmi_py.model import ProcessReading
from allsmi_py.recording.reader import Recording
from allsmi_py.tui.app import AllSmiApp
from allsmi_py.tui.host_processes import HostProcessList
from allsmi_py.tui.replay import LocalReplayApp
from allsmi_py.tui.screens.help import KEYS
from allsmi_py.tui.screens.local import LocalScreen
from allsmi_py.tui.widgets.process_tree import BLANK, BRANCH, LAST
from allsmi_py.tui.widgets.processes import HOST_DEVICE, ProcessTable
from tests.allsmi_py.recording.recordings import local_recording
from tests.allsmi_py.tui.factories import GIB, T0, processes_snapshot, send

LAUNCHER = ProcessReading(pid=100, ppid=50, user="alice", command="torchrun train.py",
                          gpu_memory_bytes=GIB, gpu_utilization_pct=5.0, started_at_s=T0 - 90)
WORKER_A = ProcessReading(pid=101, ppid=100, user="alice", command="python worker.py 0",
                          gpu_memory_bytes=8 * GIB, gpu_utilization_pct=90.0, started_at_s=T0 - 80)
WORKER_B = ProcessReading(pid=102, ppid=100, user="alice", command="python worker.py 1",
                          gpu_memory_bytes=4 * GIB, gpu_utilization_pct=70.0, started_at_s=T0 - 80)
OTHER = ProcessReading(pid=200, ppid=1, user="bob", command="vllm serve",
                       gpu_memory_bytes=6 * GIB, started_at_s=T0 - 30)
PROCESSES = (LAUNCHER, WORKER_A, WORKER_B, OTHER)


def _table(app: AllSmiApp) -> ProcessTable:
    return app.screen.query_one(ProcessTable)


def _commands(table: ProcessTable) -> list[str]:
    return [table.cells(row)[-1][0] for row in table.shown]


async def test_t_draws_the_parent_child_tree_and_t_again_the_flat_list() -> None:
    app = AllSmiApp()
    async with app.run_test(size=(140, 40)) as pilot:
        assert isinstance(app.screen, LocalScreen)
        app.screen.read_host = _FakeHost(HostProcessList())  # no ancestors from this host
        await send(pilot, processes_snapshot(*PROCESSES))
        table = _table(app)
        assert [r.process.pid for r in table.shown] == [101, 200, 102, 100]  # GPU memory
        await pilot.press("t")
        await pilot.pause()
        assert table.tree_view and "tree" in str(table.border_title)
        # roots by GPU memory (bob's server first), the workers under their launcher
        assert _commands(table) == ["vllm serve", "torchrun train.py",
                                    BRANCH + "python worker.py 0", LAST + "python worker.py 1"]
        await pilot.press("p")  # sorting orders the siblings (and the roots)
        await pilot.pause()
        assert [r.process.pid for r in table.shown] == [100, 101, 102, 200]
        await pilot.press("p")
        await pilot.pause()
        assert [r.process.pid for r in table.shown] == [200, 100, 102, 101]
        await send(pilot, processes_snapshot(*PROCESSES))  # a new snapshot keeps the tree
        assert _commands(table)[2] == BRANCH + "python worker.py 1"
        await pilot.press("t")
        await pilot.pause()
        assert not table.tree_view and "tree" not in str(table.border_title)
        assert "python worker.py 1" in _commands(table)


async def test_t_with_a_cycle_of_ppids_and_a_self_parent_shows_every_process() -> None:
    cycle = (ProcessReading(pid=1, ppid=2, command="a", gpu_memory_bytes=GIB),
             ProcessReading(pid=2, ppid=1, command="b", gpu_memory_bytes=2 * GIB),
             ProcessReading(pid=3, ppid=3, command="c", gpu_memory_bytes=3 * GIB))
    app = AllSmiApp()
    async with app.run_test(size=(140, 40)) as pilot:
        await send(pilot, processes_snapshot(*cycle))
        await pilot.press("t")
        await pilot.pause()
        table = _table(app)
        assert sorted(r.process.pid for r in table.shown) == [1, 2, 3]
        assert _commands(table) == ["c", "b", LAST + "a"]


class _FakeHost:
    """A host reader that counts its reads and the threads they ran on."""

    def __init__(self, listed: HostProcessList) -> None:
        self.listed = listed
        self.threads: list[threading.Thread] = []

    def __call__(self) -> HostProcessList:
        self.threads.append(threading.current_thread())
        return self.listed


async def _settle(pilot: Pilot[None]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def test_h_adds_the_host_processes_read_off_the_ui_thread_and_h_again_removes_them(
) -> None:
    shell = ProcessReading(pid=1, user="root", command="/sbin/init", process_type="host")
    bash = ProcessReading(pid=50, ppid=1, user="alice", command="bash", cpu_pct=1.0,
                          host_memory_bytes=GIB, process_type="host")
    again = ProcessReading(pid=100, ppid=50, command="torchrun train.py", process_type="host")
    fake = _FakeHost(HostProcessList((shell, bash, again), capped=True))
    app = AllSmiApp()
    async with app.run_test(size=(140, 40)) as pilot:
        assert isinstance(app.screen, LocalScreen)
        app.screen.read_host = fake
        app.screen.host_read_gap_s = 0.0
        await send(pilot, processes_snapshot(*PROCESSES))
        table = _table(app)
        assert not fake.threads  # nothing is read until asked
        await pilot.press("H")
        await _settle(pilot)
        assert fake.threads and threading.main_thread() not in fake.threads
        by_pid = {r.process.pid: r for r in table.shown}
        assert set(by_pid) == {1, 50, 100, 101, 102, 200}
        assert by_pid[50].device == HOST_DEVICE and by_pid[100].device == "0"  # not twice
        assert "with host processes (first 3 read)" in str(table.border_title)
        await send(pilot, processes_snapshot(*PROCESSES))  # each snapshot reads the host again
        await _settle(pilot)
        assert len(fake.threads) >= 2
        await pilot.press("t")  # the tree now reaches the GPU processes' host parents
        await pilot.pause()
        assert _commands(table)[:4] == ["/sbin/init", BRANCH + "vllm serve", LAST + "bash",
                                        BLANK + LAST + "torchrun train.py"]
        await pilot.press("f")  # GPU users only still means GPU users only
        await pilot.pause()
        assert {r.process.pid for r in table.shown} == {100, 101, 102, 200}
        await pilot.press("f", "H")  # the host's processes go; the tree keeps the ancestors
        await _settle(pilot)
        assert {r.process.pid for r in table.shown} == {1, 50, 100, 101, 102, 200}
        await pilot.press("t")
        await pilot.pause()
        assert {r.process.pid for r in table.shown} == {100, 101, 102, 200}
        assert "host" not in str(table.border_title)
        reads = len(fake.threads)
        await send(pilot, processes_snapshot(*PROCESSES))
        await _settle(pilot)
        assert len(fake.threads) == reads  # off: no more reads


async def test_a_failing_host_read_leaves_the_table_as_it_was() -> None:
    def broken() -> HostProcessList:
        raise PermissionError("no /proc here")

    app = AllSmiApp()
    async with app.run_test(size=(140, 40)) as pilot:
        assert isinstance(app.screen, LocalScreen)
        app.screen.read_host = broken
        await send(pilot, processes_snapshot(*PROCESSES))
        await pilot.press("H")
        await _settle(pilot)
        table = _table(app)
        assert {r.process.pid for r in table.shown} == {100, 101, 102, 200}
        assert app.is_running


async def test_the_selected_process_s_history_is_in_the_border_while_the_table_has_focus(
) -> None:
    app = AllSmiApp()
    async with app.run_test(size=(140, 40)) as pilot:
        for step, used in enumerate((2, 4, 8)):
            worker = replace(WORKER_A, gpu_memory_bytes=used * GIB)
            await send(pilot, processes_snapshot(LAUNCHER, worker, at=T0 + step))
        table = _table(app)
        assert "t: tree" in str(table.border_subtitle)  # not focused: the key hints
        table.focus()
        await pilot.pause()
        subtitle = str(table.border_subtitle)
        assert subtitle.startswith("pid 101 on 0 · GPU-MEM ") and "8.0 GiB" in subtitle
        assert "█" in subtitle
        await pilot.press("down")
        await pilot.pause()
        assert str(table.border_subtitle).startswith("pid 100 on 0")
        # the pid is reused by another process: its history starts again
        reused = replace(LAUNCHER, command="other", started_at_s=T0 + 50, gpu_memory_bytes=GIB)
        await send(pilot, processes_snapshot(
            reused, replace(WORKER_A, gpu_memory_bytes=8 * GIB), at=T0 + 60))
        assert table.history.memory.values(f"100:0:{T0 + 50}") == [GIB]
        assert str(table.border_subtitle).startswith("pid 100 on 0")
        await pilot.press("tab")
        await pilot.pause()
        assert not table.has_focus and "t: tree" in str(table.border_subtitle)


async def test_host_reads_are_spaced_by_the_gap_but_h_reads_at_once() -> None:
    fake = _FakeHost(HostProcessList())
    app = AllSmiApp()
    async with app.run_test(size=(140, 40)) as pilot:
        assert isinstance(app.screen, LocalScreen)
        app.screen.read_host = fake
        app.screen.host_read_gap_s = 3600.0
        await pilot.press("H")
        await _settle(pilot)
        assert len(fake.threads) == 1
        for _ in range(3):
            await send(pilot, processes_snapshot(*PROCESSES))
            await _settle(pilot)
        assert len(fake.threads) == 1  # within the gap: the snapshots read nothing
        await pilot.press("H", "H")  # off and on again: read now
        await _settle(pilot)
        assert len(fake.threads) == 2


async def test_h_in_a_replay_reads_nothing_and_says_why(tmp_path: Path) -> None:
    local_recording(tmp_path / "a.rec", count=2)
    recording = Recording(tmp_path / "a.rec")
    fake = _FakeHost(HostProcessList())
    app = LocalReplayApp(recording)
    async with app.run_test(size=(140, 40)) as pilot:
        assert isinstance(app.screen, LocalScreen)
        app.screen.read_host = fake
        await _settle(pilot)
        await pilot.press("H")
        await _settle(pilot)
        assert not fake.threads and not _table(app).host
        assert any("not in a replay" in str(n.message) for n in app._notifications)
        await pilot.press("t")  # the tree, without ancestors read from this host now
        await _settle(pilot)
        assert _table(app).tree_view and not fake.threads
    recording.close()


def test_the_help_screen_names_the_new_keys() -> None:
    keys = dict(KEYS)
    assert "tree" in keys["t"] and "host" in keys["H"]


INIT = ProcessReading(pid=1, user="root", command="/sbin/init", process_type="host")
SHELL = ProcessReading(pid=50, ppid=1, user="alice", command="bash", process_type="host")
UNRELATED = ProcessReading(pid=77, ppid=1, user="bob", command="sshd", process_type="host")


async def test_t_adds_the_gpu_processes_ancestors_from_the_host_and_t_again_drops_them(
) -> None:
    fake = _FakeHost(HostProcessList((INIT, SHELL, UNRELATED)))
    app = AllSmiApp()
    async with app.run_test(size=(140, 40)) as pilot:
        assert isinstance(app.screen, LocalScreen)
        app.screen.read_host = fake
        app.screen.host_read_gap_s = 0.0
        await send(pilot, processes_snapshot(*PROCESSES))
        table = _table(app)
        await pilot.press("t")
        await _settle(pilot)
        assert fake.threads and threading.main_thread() not in fake.threads
        by_pid = {r.process.pid: r for r in table.shown}
        assert set(by_pid) == {1, 50, 100, 101, 102, 200}  # not sshd: no GPU process's
        assert by_pid[1].device == by_pid[50].device == HOST_DEVICE
        assert _commands(table) == [
            "/sbin/init", BRANCH + "vllm serve", LAST + "bash",
            BLANK + LAST + "torchrun train.py", BLANK + BLANK + BRANCH + "python worker.py 0",
            BLANK + BLANK + LAST + "python worker.py 1"]
        await pilot.press("f")  # GPU memory users only: the ancestors hold none
        await pilot.pause()
        assert {r.process.pid for r in table.shown} == {100, 101, 102, 200}
        await pilot.press("f", "t")
        await _settle(pilot)
        assert {r.process.pid for r in table.shown} == {100, 101, 102, 200}


async def test_simulated_processes_get_no_ancestors_from_the_host() -> None:
    fake = _FakeHost(HostProcessList((INIT, SHELL)))
    app = AllSmiApp(simulated_backends=frozenset({"test"}))  # the factories' backend
    async with app.run_test(size=(140, 40)) as pilot:
        assert isinstance(app.screen, LocalScreen)
        app.screen.read_host = fake
        await send(pilot, processes_snapshot(*PROCESSES))
        await pilot.press("t")
        await _settle(pilot)
        await send(pilot, processes_snapshot(*PROCESSES))
        await _settle(pilot)
        assert not fake.threads
        assert {r.process.pid for r in _table(app).shown} == {100, 101, 102, 200}
