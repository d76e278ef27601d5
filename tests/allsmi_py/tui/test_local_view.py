"""Pilot tests of the local view: keys, clicks, filters, help, the no-device panel, alerts."""

from __future__ import annotations

import io
from dataclasses import replace

from rich.console import Console
from textual.pilot import Pilot

from allsmi_py.alerts import AlertThresholds
from allsmi_py.model import BackendStatus, ProcessReading
from allsmi_py.tui.app import AllSmiApp
from allsmi_py.tui.messages import SnapshotUpdated
from allsmi_py.tui.screens.help import HelpScreen, help_text
from allsmi_py.tui.widgets.alerts import AlertPanel
from allsmi_py.tui.widgets.devices import DeviceCard, DeviceGrid
from allsmi_py.tui.widgets.hostbar import HostBar
from allsmi_py.tui.widgets.processes import ProcessTable
from allsmi_py.tui.widgets.status import StatusPanel
from tests.allsmi_py.tui.factories import GIB, T0, device, mock_snapshots, snapshot


async def _send(pilot: Pilot[None], snap: object) -> None:
    pilot.app.post_message(SnapshotUpdated(snap))  # type: ignore[arg-type]
    await pilot.pause()
    await pilot.pause()


def _plain(renderable: object) -> str:
    console = Console(width=100, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def _table(app: AllSmiApp) -> ProcessTable:
    return app.screen.query_one("#processes", ProcessTable)


def _pids(app: AllSmiApp) -> list[int]:
    return [row.process.pid for row in _table(app).shown]


def _screen_lines(app: AllSmiApp) -> list[str]:
    """The table's lines as drawn: the header, then one line per row on screen."""
    table = _table(app)
    return [table.render_line(y).text for y in range(1 + len(table.visible_rows()))]


def _cell_texts(app: AllSmiApp, column: int) -> list[str]:
    return [line.split()[column] for line in _screen_lines(app)[1:]]


async def test_devices_and_processes_appear_with_default_sort_by_gpu_memory() -> None:
    app = AllSmiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        snaps = mock_snapshots("h100:4", count=2)
        for snap in snaps:
            await _send(pilot, snap)
        cards = app.screen.query(DeviceCard)
        assert len(cards) == 4
        assert cards.first().border_title == "NVIDIA GPU 0 · NVIDIA H100 80GB HBM3"
        memory = [r.process.gpu_memory_bytes or 0 for r in _table(app).shown]
        assert memory == sorted(memory, reverse=True) and len(memory) == 4
        assert len(_screen_lines(app)) == 1 + 4


async def test_sort_keys_and_second_press_reverses() -> None:
    app = AllSmiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await _send(pilot, snapshot(*(device(i, processes=(ProcessReading(
            pid=p, user=u, cpu_pct=c, gpu_memory_bytes=GIB),)) for i, (p, u, c) in enumerate(
            [(30, "carol", 5.0), (10, "alice", 50.0), (20, "bob", None)]))))
        await pilot.press("c")
        assert _pids(app) == [10, 30, 20]  # CPU% descending, unknown last
        await pilot.press("c")
        assert _pids(app) == [30, 10, 20]  # ascending, unknown still last
        await pilot.press("p")
        assert _pids(app) == [10, 20, 30]
        assert _cell_texts(app, 0) == ["10", "20", "30"]
        await pilot.press("n")
        assert [r.process.user for r in _table(app).shown] == ["alice", "bob", "carol"]
        header = _screen_lines(app)[0]
        assert "USER ▲" in header and "CPU% " in header and "▼" not in header


async def test_clicking_a_header_sorts_by_that_column() -> None:
    app = AllSmiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await _send(pilot, snapshot(*(device(i, processes=(ProcessReading(
            pid=100 + i, cpu_pct=float(10 * i), gpu_memory_bytes=(3 - i) * GIB),))
            for i in range(3))))
        assert _pids(app) == [100, 101, 102]  # by GPU memory
        table = _table(app)
        x = 1 + _screen_lines(app)[0].index("CPU%") + 2  # left border, then the header text
        await pilot.click("#processes", offset=(x, 1))  # border row is 0, headers row 1
        await pilot.pause()
        assert table.sort_key == "cpu" and _pids(app) == [102, 101, 100]
        await pilot.click("#processes", offset=(x, 1))
        await pilot.pause()
        assert _pids(app) == [100, 101, 102]


async def test_cursor_moves_with_keys_and_stays_on_its_process_when_the_order_changes() -> None:
    app = AllSmiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        procs = [ProcessReading(pid=200 + i, gpu_memory_bytes=(i + 1) * GIB) for i in range(3)]
        await _send(pilot, snapshot(device(0, processes=tuple(procs))))
        table = _table(app)
        table.focus()
        await pilot.press("down")
        assert table.current is not None and table.current.process.pid == 201
        def highlighted(y: int) -> bool:
            return any(seg.style is not None and seg.style.reverse
                       for seg in table.render_line(y))
        assert table.render_line(2).text.startswith("201") and highlighted(2)
        assert not highlighted(1) and not highlighted(3)
        await pilot.press("p")  # by PID: 200, 201, 202
        assert _pids(app) == [200, 201, 202] and table.cursor == 1
        await pilot.press("p", "end")
        assert table.current is not None and table.current.process.pid == 200
        # The next snapshot reorders the rows: the cursor follows its process.
        procs[0] = replace(procs[0], pid=203)
        await _send(pilot, snapshot(device(0, processes=(ProcessReading(pid=200),
                                                         *procs[1:], procs[0]))))
        assert table.current is not None and table.current.process.pid == 200


async def test_gpu_only_filter_hides_processes_without_gpu_memory() -> None:
    app = AllSmiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        holder = ProcessReading(pid=1, gpu_memory_bytes=GIB)
        idle = ProcessReading(pid=2, gpu_memory_bytes=0)
        unknown = ProcessReading(pid=3)
        await _send(pilot, snapshot(device(0, processes=(holder, idle, unknown))))
        assert sorted(_pids(app)) == [1, 2, 3]
        await pilot.press("f")
        assert _pids(app) == [1]
        assert "GPU memory users" in str(_table(app).border_title)
        await pilot.press("f")
        assert sorted(_pids(app)) == [1, 2, 3]


async def test_help_opens_and_closes_with_h_question_mark_and_escape() -> None:
    app = AllSmiApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("h")
        assert isinstance(app.screen, HelpScreen)
        assert "sort processes by GPU memory" in _plain(help_text())
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("h")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("h", "q")
        await pilot.pause()
        assert app.return_code == 0 and not app.is_running


async def test_no_accelerator_says_so_lists_reasons_and_keeps_host_metrics() -> None:
    app = AllSmiApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await _send(pilot, snapshot(backends=(
            BackendStatus("nvidia", "unavailable", "libnvidia-ml.so.1 not found: install the "
                          "NVIDIA driver"),
            BackendStatus("amd", "unavailable", "no AMD GPU: no /sys/class/drm/card*"))))
        status = app.screen.query_one("#status", StatusPanel)
        assert status.display
        assert "No GPU or NPU found on this machine" in status.message
        assert "libnvidia-ml.so.1 not found" in status.message
        assert "no AMD GPU" in status.message
        assert "allsmi local --mock h100:8" in status.message
        assert not app.screen.query_one("#devices", DeviceGrid).display
        assert not _table(app).display
        host = app.screen.query_one("#host", HostBar).plain
        assert "CPU" in host and "38%" in host and "Docker" not in host
        assert "300.0/512.0 GiB" not in host and "212.0/512.0 GiB" in host
        # Devices appear: the panel goes away.
        await _send(pilot, snapshot(device(0)))
        assert not status.display and len(app.screen.query(DeviceCard)) == 1


async def test_alert_marks_the_card_toasts_and_lands_in_history() -> None:
    app = AllSmiApp(thresholds=AlertThresholds(temp_warn_c=80, temp_crit_c=90, hysteresis_c=2))
    async with app.run_test(size=(120, 40)) as pilot:
        await _send(pilot, snapshot(device(0), device(1)))
        cards = list(app.screen.query(DeviceCard))
        assert not any(c.has_class("-critical") or c.has_class("-warn") for c in cards)
        await _send(pilot, snapshot(device(0), device(1, temperature_c=93.0), taken_at_s=T0 + 2))
        cards = list(app.screen.query(DeviceCard))
        assert cards[1].has_class("-critical") and not cards[0].has_class("-critical")
        assert "temperature critical" in str(cards[1].border_subtitle)
        assert any("temperature CRITICAL 93°C" in n.message for n in app._notifications)
        panel = app.screen.query_one("#alerts", AlertPanel)
        assert not panel.display
        await pilot.press("a")
        assert panel.display and "GPU 1 Test GPU 24GB: temperature CRITICAL" in panel.message
        await _send(pilot, snapshot(device(0), device(1, temperature_c=60.0), taken_at_s=T0 + 4))
        assert not list(app.screen.query(DeviceCard))[1].has_class("-critical")
        assert "back to normal" in panel.message
        await pilot.press("escape")
        assert not panel.display


async def test_own_temperature_limits_colour_before_config_alerts() -> None:
    from allsmi_py.tui.style import temperature_level
    limits = AlertThresholds(temp_warn_c=80, temp_crit_c=90)
    hot = device(0, temperature_c=85.0, temperature_slowdown_c=89.0, temperature_shutdown_c=92.0)
    assert temperature_level(hot, limits) == "warn"
    assert temperature_level(replace(hot, temperature_c=90.5), limits) == "critical"
    assert temperature_level(replace(hot, temperature_slowdown_c=None,
                                     temperature_shutdown_c=None), limits) == "warn"
    assert temperature_level(replace(hot, temperature_c=70.0), limits) == "ok"


async def test_too_small_terminal_shows_a_notice_and_recovers() -> None:
    app = AllSmiApp()
    async with app.run_test(size=(50, 12)) as pilot:
        await _send(pilot, snapshot(device(0)))
        notice = app.screen.query_one("#too-small")
        assert notice.display and "Terminal too small: 50x12" in str(notice.render())
        assert not app.screen.query_one("#main").display
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert not notice.display and app.screen.query_one("#main").display
        assert app.screen.query_one("#devices").region.height > 0


async def test_light_theme_from_config_and_T_toggles() -> None:
    app = AllSmiApp(theme="light")
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.theme == "textual-light"
        await _send(pilot, snapshot(device(0)))
        card = app.screen.query_one(DeviceCard)
        light = card.render_line(0)
        await pilot.press("T")
        await pilot.pause()
        assert app.theme == "textual-dark"
        # The card's lines are drawn on the new theme's background at once, not a tick later.
        dark = card.render_line(0)
        assert dark.text == light.text
        assert {s.style.bgcolor for s in dark if s.style} == {card.rich_style.bgcolor}
        assert card.rich_style.bgcolor != next(iter(light)).style.bgcolor  # type: ignore[union-attr]


async def test_device_set_change_rebuilds_cards_and_history_forgets_gone_devices() -> None:
    app = AllSmiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await _send(pilot, snapshot(device(0), device(1)))
        await _send(pilot, snapshot(device(1), taken_at_s=T0 + 2))
        cards = list(app.screen.query(DeviceCard))
        assert [c.device.uuid for c in cards] == ["GPU-test-1"]
        assert "GPU-test-0:util" not in app.history and "GPU-test-1:util" in app.history
