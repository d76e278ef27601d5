"""Process actions in the local view: confirm, cancel, refuse, readonly, --mock, never in view."""

from __future__ import annotations

import signal
import subprocess
import sys
from dataclasses import replace

import psutil
import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from allsmi_py.collector import Collector
from allsmi_py.model import ProcessReading
from allsmi_py.process_actions import ProcessFacts, ProcessSignaller, SignalTarget
from allsmi_py.tui.app import AllSmiApp
from allsmi_py.tui.cluster_app import ClusterApp
from allsmi_py.tui.messages import SnapshotUpdated
from allsmi_py.tui.screens.confirm_signal import ConfirmSignalScreen, confirm_text
from allsmi_py.tui.screens.local import ACTION_KEYS, LocalScreen
from allsmi_py.tui.screens.pick_signal import CHOICES, PickSignalScreen
from allsmi_py.tui.widgets.processes import ProcessTable
from backends.mock.backend import MockBackend
from tests.allsmi_py.tui.cluster_factories import cluster_rounds
from tests.allsmi_py.tui.factories import GIB, HOST, T0, device, snapshot

ACTION_KEY_NAMES = [key for key, _action, _label in ACTION_KEYS]


class Kills:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def __call__(self, pid: int, signum: int) -> None:
        self.calls.append((pid, signum))


def _facts(uid: int) -> ProcessFacts:
    return ProcessFacts(uids=(uid, uid, uid), started_at_s=T0 - 60, user="alice")


def _signaller(kills: Kills, owner_uid: int = 1000) -> ProcessSignaller:
    return ProcessSignaller(kill=kills, inspect=lambda pid: _facts(owner_uid),
                            getuids=lambda: (1000, 1000), own_pid=1)


def _one_process_snapshot(command: str = "python train.py") -> object:
    gpu = device(0, processes=(ProcessReading(pid=4242, user="alice", command=command,
                                              gpu_memory_bytes=GIB, started_at_s=T0 - 60),))
    return snapshot(gpu)


async def _send(pilot: Pilot[None], snap: object) -> None:
    pilot.app.post_message(SnapshotUpdated(snap))  # type: ignore[arg-type]
    await pilot.pause()
    await pilot.pause()


def _table(app: AllSmiApp) -> ProcessTable:
    return app.screen.query_one("#processes", ProcessTable)


def _notes(app: AllSmiApp) -> list[str]:
    return [n.message for n in app._notifications]


async def _ready(app: AllSmiApp, pilot: Pilot[None], snap: object | None = None) -> None:
    await _send(pilot, snap if snap is not None else _one_process_snapshot())
    _table(app).focus()
    await pilot.pause()


@pytest.mark.parametrize("key, confirm, expected", [
    ("k", "y", signal.SIGTERM), ("K", "enter", signal.SIGKILL), ("I", "y", signal.SIGINT)])
async def test_a_confirmed_signal_is_sent_to_the_selected_process(
        key: str, confirm: str, expected: signal.Signals) -> None:
    kills = Kills()
    app = AllSmiApp(process_actions=_signaller(kills))
    async with app.run_test(size=(120, 40)) as pilot:
        await _ready(app, pilot)
        await pilot.press(key)
        await pilot.pause()
        assert isinstance(app.screen, ConfirmSignalScreen)
        assert app.screen.signal is expected and app.screen.target.process.pid == 4242
        assert kills.calls == []  # nothing before the answer
        await pilot.press(confirm)
        await pilot.pause()
        assert isinstance(app.screen, LocalScreen)
        assert kills.calls == [(4242, int(expected))]
        assert f"sent {expected.name} to pid 4242 (alice: python train.py)" in _notes(app)


@pytest.mark.parametrize("cancel", ["n", "escape"])
async def test_a_cancelled_signal_is_not_sent(cancel: str) -> None:
    kills = Kills()
    app = AllSmiApp(process_actions=_signaller(kills))
    async with app.run_test(size=(120, 40)) as pilot:
        await _ready(app, pilot)
        await pilot.press("K")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmSignalScreen)
        await pilot.press(cancel)
        await pilot.pause()
        assert isinstance(app.screen, LocalScreen) and kills.calls == []


def test_the_confirmation_names_pid_user_command_and_signal_and_cleans_the_command() -> None:
    gpu = device(0)
    target_process = replace(gpu.processes[0], pid=77, user="carol",
                             command="python evil.py \x1b[2J\x07" + "x" * 1000)
    text = confirm_text(SignalTarget(target_process, "test"), signal.SIGKILL).plain
    assert text.startswith("Send SIGKILL (9) to pid 77?")
    assert "user     carol" in text and "command  python evil.py ?[2J?" in text
    assert "\x1b" not in text and "\x07" not in text
    assert len(text) < 500  # a megabyte command line is cut in the dialog


async def test_another_users_process_is_refused_without_a_dialog() -> None:
    kills = Kills()
    app = AllSmiApp(process_actions=_signaller(kills, owner_uid=2000))
    async with app.run_test(size=(120, 40)) as pilot:
        await _ready(app, pilot)
        await pilot.press("k")
        await pilot.pause()
        assert isinstance(app.screen, LocalScreen) and kills.calls == []
        assert ("pid 4242 belongs to alice: only its owner or root can signal it "
                "(you are uid 1000)") in _notes(app)


async def test_any_signal_by_name_and_a_bad_name_says_why() -> None:
    kills = Kills()
    app = AllSmiApp(process_actions=_signaller(kills))
    async with app.run_test(size=(120, 40)) as pilot:
        await _ready(app, pilot)
        await pilot.press("s")
        await pilot.pause()
        bar = app.screen.query_one("#signal-name", Input)
        assert bar.has_focus and app.screen.has_class("-naming-signal")
        assert "pid 4242" in str(bar.border_title)
        await pilot.press("b", "o", "g", "u", "s", "enter")
        await pilot.pause()
        assert isinstance(app.screen, LocalScreen)
        assert str(bar.border_subtitle).startswith("unknown signal 'bogus'")
        bar.value = ""
        await pilot.press("h", "u", "p", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmSignalScreen)
        assert app.screen.signal is signal.SIGHUP
        await pilot.press("y")
        await pilot.pause()
        assert kills.calls == [(4242, int(signal.SIGHUP))]
        assert not app.screen.has_class("-naming-signal")


async def test_readonly_has_no_action_bindings_and_the_keys_do_nothing() -> None:
    app = AllSmiApp()  # what `--readonly` (local.readonly) builds: no process actions
    async with app.run_test(size=(120, 40)) as pilot:
        await _ready(app, pilot)
        bound = {key for key in app.screen._bindings.key_to_bindings}
        assert not bound & set(ACTION_KEY_NAMES)
        assert "signal" not in str(_table(app).border_subtitle)
        for key in ACTION_KEY_NAMES:
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, LocalScreen)
            assert not app.screen.has_class("-naming-signal")
        screen = app.screen
        assert isinstance(screen, LocalScreen)
        screen.action_signal("KILL")  # even called directly: nothing
        screen.action_name_signal()
        await pilot.pause()
        assert isinstance(app.screen, LocalScreen) and _notes(app) == []


async def test_with_actions_the_keys_are_bound() -> None:
    app = AllSmiApp(process_actions=_signaller(Kills()))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        bound = set(app.screen._bindings.key_to_bindings)
        assert set(ACTION_KEY_NAMES) <= bound
        assert str(_table(app).border_subtitle).endswith("k K I s S: signal")


async def test_no_process_selected_says_so() -> None:
    app = AllSmiApp(process_actions=_signaller(Kills()))
    async with app.run_test(size=(120, 40)) as pilot:
        await _ready(app, pilot, snapshot(device(0, processes=())))
        screen = app.screen
        assert isinstance(screen, LocalScreen)
        screen.action_signal("TERM")
        await pilot.pause()
        assert isinstance(app.screen, LocalScreen)
        assert "No process selected" in _notes(app)


def _pids(snap_devices: object) -> set[int]:
    return {p.pid for d in snap_devices for p in d.processes}  # type: ignore[attr-defined]


async def test_in_mock_mode_the_simulated_process_goes_away_in_the_next_snapshot() -> None:
    backend = None
    for seed in range(50):
        candidate = MockBackend(spec="h100:4", seed=seed, clock=lambda: 0.0, start_time_s=T0)
        if _pids(candidate.readings()):
            backend = candidate
            break
    assert backend is not None
    collector = Collector([backend], interval_s=1.0, hostname="mock-node")
    kills = Kills()
    # a simulated pid is random: a real process here must never be signalled for it
    app = AllSmiApp(process_actions=ProcessSignaller(collector, kill=kills))
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            first = replace(collector.tick(), host=HOST)
            await _ready(app, pilot, first)
            chosen = _table(app).current
            assert chosen is not None and chosen.backend == "mock"
            await pilot.press("K")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmSignalScreen)
            await pilot.press("y")
            await pilot.pause()
            assert kills.calls == []
            assert any(n.endswith("(simulated)") for n in _notes(app))
            await _send(pilot, replace(collector.tick(), host=HOST))
            shown = {row.process.pid for row in _table(app).shown}
            assert chosen.process.pid not in shown
            assert shown == _pids(first.devices) - {chosen.process.pid}
    finally:
        collector.stop()


async def test_the_cluster_view_offers_no_process_action() -> None:
    app = ClusterApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.ingest(next(iter(cluster_rounds(2, "h100:2", rounds=1))))
        await pilot.pause()
        assert app.process_actions is None
        for node in (app, app.screen, *app.screen.walk_children()):
            actions = {b.action for bindings in node._bindings.key_to_bindings.values()
                       for b in bindings}
            assert not {a for a in actions if a.startswith(("signal", "name_signal"))}
        for key in ("k", "K", "I", "s"):
            await pilot.press(key)
            await pilot.pause()
            assert not isinstance(app.screen, ConfirmSignalScreen)


async def test_a_hostile_command_line_is_shown_as_capped_plain_text() -> None:
    kills = Kills()
    command = "[/] [bold]x\x1b]0;owned\x07 " + "A" * 100_000
    app = AllSmiApp(process_actions=_signaller(kills))
    async with app.run_test(size=(120, 40)) as pilot:
        await _ready(app, pilot, _one_process_snapshot(command))
        await pilot.press("s")
        await pilot.pause()
        bar = app.screen.query_one("#signal-name")
        assert bar._border_title is not None
        assert "[/] [bold]x?]0;owned? AAA" in bar._border_title.plain
        await pilot.press("escape")
        await pilot.pause()
        assert not app.screen.has_class("-naming-signal")
        await pilot.press("k")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert kills.calls == [(4242, int(signal.SIGTERM))]
        (note,) = _notes(app)
        assert note.startswith("sent SIGTERM to pid 4242 (alice: [/] [bold]x?]0;owned? AAA")
        assert len(note) < 200 and "\x1b" not in note


async def test_a_real_child_process_is_ended_from_the_view() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        started = psutil.Process(child.pid).create_time()
        gpu = device(0, processes=(ProcessReading(pid=child.pid, user="me", command="sleeper",
                                                  gpu_memory_bytes=GIB, started_at_s=started),))
        app = AllSmiApp(process_actions=ProcessSignaller())  # the real seams: psutil, os.kill
        async with app.run_test(size=(120, 40)) as pilot:
            await _ready(app, pilot, snapshot(gpu))
            await pilot.press("k")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmSignalScreen)
            await pilot.press("y")
            await pilot.pause()
            assert child.wait(timeout=30) == -signal.SIGTERM
            assert f"sent SIGTERM to pid {child.pid} (me: sleeper)" in _notes(app)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


async def test_s_offers_a_list_of_signals_and_the_one_chosen_is_confirmed_then_sent() -> None:
    kills = Kills()
    app = AllSmiApp(process_actions=_signaller(kills))
    async with app.run_test(size=(120, 40)) as pilot:
        await _ready(app, pilot)
        await pilot.press("S")
        await pilot.pause()
        assert isinstance(app.screen, PickSignalScreen)
        panel = app.screen.query_one("#pick-signal-panel")
        assert "pid 4242" in str(panel.border_title)
        listed = app.screen.query_one(OptionList)
        assert [listed.get_option_at_index(i).id for i in range(listed.option_count)] == [
            sig.name for sig, _ in CHOICES]
        await pilot.press("down", "down", "enter")  # TERM, INT, KILL
        await pilot.pause()
        assert isinstance(app.screen, ConfirmSignalScreen)
        assert app.screen.signal is signal.SIGKILL and kills.calls == []
        await pilot.press("y")
        await pilot.pause()
        assert kills.calls == [(4242, int(signal.SIGKILL))]


async def test_escape_leaves_the_list_of_signals_without_sending_one() -> None:
    kills = Kills()
    app = AllSmiApp(process_actions=_signaller(kills))
    async with app.run_test(size=(120, 40)) as pilot:
        await _ready(app, pilot)
        await pilot.press("S")
        await pilot.pause()
        assert isinstance(app.screen, PickSignalScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LocalScreen) and kills.calls == []


async def test_a_signal_picked_for_another_users_process_is_refused_before_asking() -> None:
    kills = Kills()
    app = AllSmiApp(process_actions=_signaller(kills, owner_uid=2000))
    async with app.run_test(size=(120, 40)) as pilot:
        await _ready(app, pilot)
        await pilot.press("S", "enter")
        await pilot.pause()
        assert isinstance(app.screen, LocalScreen) and kills.calls == []
        assert any("only its owner or root can signal it" in note for note in _notes(app))
