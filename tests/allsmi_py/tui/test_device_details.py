"""The expanded device card (issue 17 item 3): its lines, and Enter in the local view."""

from __future__ import annotations

from allsmi_py.model import MigInstanceReading
from allsmi_py.tui.app import AllSmiApp
from allsmi_py.tui.messages import SnapshotUpdated
from allsmi_py.tui.style import LEVEL_STYLE, MUTED
from allsmi_py.tui.widgets.device_details import NOTHING_MORE, detail_lines
from allsmi_py.tui.widgets.devices import DeviceGrid
from tests.allsmi_py.tui.factories import GIB, device, snapshot

MIGS = (MigInstanceReading(uuid="MIG-a", profile="3g.40gb", gpu_instance_id=1,
                           compute_instance_id=0, memory_used_bytes=4 * GIB,
                           memory_total_bytes=40 * GIB, utilization_pct=35.0),
        MigInstanceReading(uuid="MIG-b", profile="1g.10gb", memory_used_bytes=0,
                           memory_total_bytes=10 * GIB))
RICH = device(0, throttle_reasons=("sw_power_cap", "gpu_idle"), ecc_enabled=True,
              ecc_errors_corrected_volatile=0, ecc_errors_corrected_aggregate=12,
              ecc_errors_uncorrected_volatile=0, ecc_errors_uncorrected_aggregate=0,
              pcie_gen_current=4, pcie_gen_max=5, pcie_width_current=8, pcie_width_max=16,
              pcie_tx_bytes_per_s=1.5 * GIB, pcie_rx_bytes_per_s=300 * 1024**2,
              encoder_utilization_pct=12.0, decoder_utilization_pct=0.0, numa_node=1,
              mig_mode=True, mig_instances=MIGS)


def _text(line: tuple[tuple[str, str], ...]) -> str:
    return "".join(text for text, _ in line)


def _style_of(line: tuple[tuple[str, str], ...], text: str) -> str:
    return next(style for chunk, style in line if chunk == text)


def test_every_reading_the_backends_collect_has_a_line() -> None:
    lines = detail_lines(RICH)
    texts = [_text(line) for line in lines]
    assert texts[0] == "Throttle sw power cap, gpu idle"
    assert _style_of(lines[0], "sw power cap") == LEVEL_STYLE["warn"]  # holds clocks back now
    assert _style_of(lines[0], "gpu idle") == ""  # low clocks for want of work: no slowdown
    assert texts[1] == "ECC on  corrected 0 (total 12)  uncorrected 0 (total 0)"
    assert _style_of(lines[1], "0 (total 12)") == LEVEL_STYLE["warn"]
    assert _style_of(lines[1], "0 (total 0)") == ""
    assert texts[2] == "PCIe Gen 4/5  x8/16  TX 1.5 GiB/s  RX 300.0 MiB/s"
    assert _style_of(lines[2], "  x8/16") == LEVEL_STYLE["warn"]  # a narrower link than it has
    assert texts[3] == "Enc 12%  Dec 0%  NUMA 1"
    assert texts[4] == "MIG on  2 instances"
    assert texts[5] == "  • 3g.40gb GI 1 CI 0  Mem 4.0/40.0 GiB  Util 35%"
    assert texts[6] == "  • 1g.10gb  Mem 0.0/10.0 GiB"  # no utilization given: none drawn
    assert len(lines) == 7


def test_uncorrected_errors_are_critical_and_no_throttle_is_muted() -> None:
    lines = detail_lines(device(0, throttle_reasons=(), ecc_errors_uncorrected_volatile=3))
    assert [_text(line) for line in lines] == ["Throttle none", "ECC N/A  uncorrected 3"]
    assert _style_of(lines[0], "none") == MUTED
    assert _style_of(lines[1], "3") == LEVEL_STYLE["critical"]


def test_a_device_that_reports_none_of_them_says_so() -> None:
    assert detail_lines(device(0)) == [((NOTHING_MORE, MUTED),)]


async def test_enter_expands_the_focused_card_and_collapses_it_again() -> None:
    app = AllSmiApp()
    async with app.run_test(size=(120, 50)) as pilot:
        app.post_message(SnapshotUpdated(snapshot(RICH, device(1))))
        await pilot.pause()
        grid = app.screen.query_one("#devices", DeviceGrid)
        first, second = grid.cards
        collapsed = first.plain
        assert first.outer_size.height == second.outer_size.height == 5
        first.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert first.expanded and grid.has_class("-expanded")
        assert first.plain.startswith(collapsed)  # the three lines, then the details
        assert "Throttle sw power cap" in first.plain and "3g.40gb" in first.plain
        assert first.outer_size.height == 3 + 7 + 2
        assert not second.expanded and second.plain.count("\n") == 2
        # a new reading keeps it open, and so does a change in the set of devices
        app.post_message(SnapshotUpdated(snapshot(RICH, device(1), device(2))))
        await pilot.pause()
        await pilot.pause()
        first = grid.cards[0]
        assert first.expanded and "NUMA 1" in first.plain
        first.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert not first.expanded and not grid.has_class("-expanded")
        assert first.plain.count("\n") == 2 and first.outer_size.height == 5


def test_help_names_the_key() -> None:
    from allsmi_py.tui.screens.help import KEYS

    assert ("Enter", "on a device card: throttle reasons, ECC, PCIe, encoder, NUMA, MIG "
                     "(again: hide)") in KEYS
