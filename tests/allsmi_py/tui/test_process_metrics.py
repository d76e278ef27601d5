"""Enter on a process opens its metrics screen: identity, and GPU memory, GPU%, CPU% and
host memory over the table's history, followed snapshot by snapshot until it ends."""

from __future__ import annotations

from dataclasses import replace

from allsmi_py.model import ProcessReading
from allsmi_py.tui.app import AllSmiApp
from allsmi_py.tui.host_processes import HostProcessList
from allsmi_py.tui.screens.local import LocalScreen
from allsmi_py.tui.screens.process_metrics import ProcessMetrics, ProcessMetricsScreen
from allsmi_py.tui.widgets.processes import HOST_DEVICE, ProcessTable
from tests.allsmi_py.tui.factories import GIB, T0, processes_snapshot, send

TRAINER = ProcessReading(pid=4242, user="alice", command="python train.py --lr 3e-4",
                         gpu_memory_bytes=4 * GIB, gpu_utilization_pct=40.0, cpu_pct=120.0,
                         host_memory_bytes=2 * GIB, started_at_s=T0 - 60)


def _text(app: AllSmiApp) -> str:
    return app.screen.query_one(ProcessMetrics).plain


async def test_enter_opens_the_process_s_metrics_and_they_follow_it_until_it_ends() -> None:
    app = AllSmiApp()
    async with app.run_test(size=(140, 40)) as pilot:
        await send(pilot, processes_snapshot(TRAINER))
        app.screen.query_one(ProcessTable).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ProcessMetricsScreen)
        text = _text(app)
        assert "python train.py --lr 3e-4" in text and "alice" in text
        assert "GPU-MEM" in text and "4.0 GiB" in text and "120%" in text
        assert "the last 1 readings" in text
        hotter = replace(TRAINER, gpu_utilization_pct=90.0, gpu_memory_bytes=6 * GIB)
        await send(pilot, processes_snapshot(hotter, at=T0 + 2))
        await send(pilot, processes_snapshot(TRAINER, at=T0 + 4))
        text = _text(app)
        assert "the last 3 readings" in text
        gpu_line = next(line for line in text.splitlines() if line.startswith("GPU%"))
        assert "now       40%" in gpu_line and "peak       90%" in gpu_line
        assert "mean       57%" in gpu_line
        memory_line = next(line for line in text.splitlines() if line.startswith("GPU-MEM"))
        assert "peak   6.0 GiB" in memory_line
        await send(pilot, processes_snapshot(at=T0 + 6))  # it ended
        assert "the process has ended" in _text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LocalScreen)


async def test_a_host_process_has_no_metrics_screen_and_says_why() -> None:
    app = AllSmiApp()
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, LocalScreen)
        bash = ProcessReading(pid=50, user="alice", command="bash", process_type="host")
        screen.read_host = lambda: HostProcessList((bash,))
        await send(pilot, processes_snapshot(TRAINER))
        await pilot.press("H")
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = screen.query_one(ProcessTable)
        table.focus()
        table.cursor = next(i for i, r in enumerate(table.shown) if r.device == HOST_DEVICE)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen
        assert any("not host ones" in str(n.message) for n in app._notifications)
