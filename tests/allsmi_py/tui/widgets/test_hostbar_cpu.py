"""The host bar's sockets and per-core heat row: the functions, then the bar in the local view."""

from __future__ import annotations

from dataclasses import replace

from allsmi_py.model import CpuReading, CpuSocketReading, HostReading, NodeSnapshot
from allsmi_py.tui.app import AllSmiApp
from allsmi_py.tui.messages import SnapshotUpdated
from allsmi_py.tui.style import fill_colour
from allsmi_py.tui.widgets.bars import SPARK_CHARS
from allsmi_py.tui.widgets.cpu_rows import HEAT_LABEL, MAX_HEAT_ROWS, heat_lines, socket_lines
from allsmi_py.tui.widgets.hostbar import HostBar
from tests.allsmi_py.tui.factories import HOST, device, snapshot

SOCKETS = (CpuSocketReading(index=0, utilization_pct=35.0, frequency_mhz=2250.0,
                            temperature_c=61.4, power_w=30.2),
           CpuSocketReading(index=1, utilization_pct=55.0, frequency_mhz=2450.0,
                            temperature_c=67.0, power_w=25.0))


def _text(line: tuple[tuple[str, str], ...]) -> str:
    return "".join(text for text, _ in line)


def test_one_line_of_sockets_with_clock_temperature_and_power() -> None:
    (line,) = socket_lines(CpuReading(sockets=SOCKETS, power_w=55.2), 120)
    text = _text(line)
    assert "S0 " in text and " 35% 2.25 GHz 61°C 30 W" in text
    assert "S1 " in text and " 55% 2.45 GHz 67°C 25 W" in text


def test_sockets_wrap_and_say_why_power_is_missing() -> None:
    bare = tuple(replace(s, power_w=None) for s in SOCKETS)
    cpu = CpuReading(sockets=bare, power_unavailable_reason="RAPL energy_uj is root only")
    lines = socket_lines(cpu, 40)
    assert len(lines) == 2
    assert _text(lines[0]).startswith("S0 ") and _text(lines[1]).startswith("S1 ")
    assert "N/A" in _text(lines[0])
    assert lines[-1][-1] == ("   power: RAPL energy_uj is root only", "grey50")
    assert socket_lines(CpuReading(), 120) == []


def test_heat_row_one_cell_per_core_coloured_by_load() -> None:
    loads = [0.0, 50.0, 100.0, 100.0]
    (line,) = heat_lines(loads, 80)
    assert line[0][0] == HEAT_LABEL
    assert _text(line)[len(HEAT_LABEL):] == SPARK_CHARS[0] + SPARK_CHARS[4] + SPARK_CHARS[-1] * 2
    # runs of one colour are one span; each span has its load's colour
    assert [style for _, style in line[1:]] == [fill_colour(0.0), fill_colour(50.0),
                                                fill_colour(100.0)]


def test_256_cores_at_120_columns_wrap_into_three_short_lines() -> None:
    lines = heat_lines([float(n % 101) for n in range(256)], 118)  # 120 minus the padding
    assert len(lines) == 3
    assert sum(len(_text(line)) - len(HEAT_LABEL) for line in lines) == 256
    assert all(len(_text(line)) <= 118 for line in lines)


def test_more_cores_than_rows_show_the_busiest_of_each_run() -> None:
    loads = [0.0] * 1024
    loads[5] = 100.0
    lines = heat_lines(loads, 40)
    assert len(lines) == MAX_HEAT_ROWS
    assert _text(lines[0]).startswith("×8")
    cells = "".join(_text(line)[len(HEAT_LABEL):] for line in lines)
    assert len(cells) == 128 and cells[0] == SPARK_CHARS[-1] and set(cells[1:]) == {SPARK_CHARS[0]}


def _host_with_sockets(cores: int) -> HostReading:
    cpu = replace(HOST.cpu, sockets=SOCKETS, power_w=55.2,
                  per_core_utilization_pct=tuple(float(n * 7 % 100) for n in range(cores)),
                  per_core_socket_index=tuple(n % 2 for n in range(cores)))
    return replace(HOST, cpu=cpu)


def _snap(host: HostReading) -> NodeSnapshot:
    return replace(snapshot(device(0)), host=host)


async def test_the_local_view_draws_sockets_and_cores_and_grows_the_bar() -> None:
    app = AllSmiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        app.post_message(SnapshotUpdated(snapshot(device(0))))
        await pilot.pause()
        bar = app.screen.query_one("#host", HostBar)
        assert bar.size.height == 3  # no sockets reported: the bar as it was
        app.post_message(SnapshotUpdated(_snap(_host_with_sockets(256))))
        await pilot.pause()
        await pilot.pause()
        lines = bar.plain.splitlines()
        assert any(line.startswith("S0 ") and "2.25 GHz" in line and "S1 " in line
                   for line in lines)
        heat = [line for line in lines if line.startswith(HEAT_LABEL)]
        assert len(heat) == 1
        assert bar.size.height == len(lines) == 3 + 1 + 3  # sockets, three rows of 256 cores
        await pilot.resize_terminal(60, 40)
        await pilot.pause()
        await pilot.pause()
        assert bar.size.height == len(bar.plain.splitlines()) > 7  # narrower: more rows
        app.post_message(SnapshotUpdated(snapshot(device(0))))
        await pilot.pause()
        await pilot.pause()
        assert bar.size.height == 3


def test_without_sockets_the_facts_line_has_the_cpus_clock_temperature_and_power() -> None:
    from allsmi_py.tui.history import History
    from allsmi_py.tui.widgets.hostbar import host_spans

    cpu = replace(HOST.cpu, frequency_mhz=3200.0, temperature_c=48.6, power_w=12.3)
    first = _text(host_spans(replace(HOST, cpu=cpu), History(), 120)[0])
    assert "192 threads · 3.20 GHz · 49°C · 12 W · load" in first
    with_sockets = replace(cpu, sockets=SOCKETS)  # the socket line says it instead
    assert "GHz" not in _text(host_spans(replace(HOST, cpu=with_sockets), History(), 120)[0])
