"""tt-kmd sysfs reader and the backend's choice of source, on fake trees under tmp_path.

No real dump of tt-kmd's sysfs is public, so the trees (fake_sysfs.py) are built from tt-kmd's
documentation and driver source: `docs/sysfs-attributes.md`, `telemetry.c`, `wormhole.c`,
`blackhole.c`, `hwmon.c`. tt-kmd is a PCI driver (`module.c`), so an n300, whose second
Wormhole chip is not on PCIe, is one class entry.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from allsmi_py.errors import BackendReadError, BackendUnavailable
from backends.tenstorrent.backend import TenstorrentBackend, availability
from backends.tenstorrent.sysfs import find_cards, hwmon_dir, read_card
from tests.backends.tenstorrent.fake_sysfs import FakeCard, install, n300, p150a
from tests.backends.tenstorrent.test_backend import FIXTURE, fake_tool


@pytest.fixture
def no_tt_smi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PATH on which no tt-smi can be found."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def test_reads_a_blackhole_and_an_n300(tmp_path: Path) -> None:
    install(tmp_path, p150a(0))
    install(tmp_path, n300(1))
    with TenstorrentBackend(root=str(tmp_path), tool=str(tmp_path / "never-run")) as backend:
        first, second = backend.read()
        assert backend.status_message() == "tt-kmd sysfs (n300: 2nd chip not on PCIe)"
    assert (first.index, first.name, first.uuid) == (0, "Tenstorrent Blackhole p150a",
                                                     "tt-4032b15a0c7")
    assert (first.temperature_c, first.power_w, first.power_limit_w) == (41.375, 40.0, 300.0)
    assert (first.clock_graphics_mhz, first.fan_rpm) == (1350.0, 2100.0)
    assert first.details["pcie_address"] == "0000:03:00.0"
    assert first.details["collection_method"] == "sysfs"
    assert (second.index, second.name, second.uuid) == (1, "Tenstorrent Wormhole n300",
                                                         "tt-10001451170b07d")
    assert (second.temperature_c, second.power_w, second.fan_rpm) == (45.25, 24.0, None)
    assert second.details["pcie_address"] == "0000:04:00.0"
    assert second.details["eth_fw_version"] == "6.14.0"
    assert first.problems == () and second.problems == ()


def test_read_card_collects_the_files(tmp_path: Path) -> None:
    install(tmp_path, p150a(0))
    [card_dir] = find_cards(str(tmp_path))
    card = read_card(card_dir)
    assert card.ordinal == 0 and card.pci_address == "0000:03:00.0"
    assert card.attributes["tt_serial"] == "000004032B15A0C7"  # newline stripped
    assert card.hwmon["name"] == "blackhole" and card.hwmon["fan1_input"] == "2100"
    assert "temp1_label" not in card.hwmon  # labels are not read: the channels are fixed
    assert card.pci["device"] == "0xb140"
    assert card.unreadable == ()


def test_cards_are_in_ordinal_order(tmp_path: Path) -> None:
    for ordinal in (10, 2, 0):
        install(tmp_path, p150a(ordinal, f"0000:{ordinal + 1:02x}:00.0"))
    names = [os.path.basename(c) for c in find_cards(str(tmp_path))]
    assert names == ["tenstorrent!0", "tenstorrent!2", "tenstorrent!10"]


def test_hwmon_folder_is_found_by_name(tmp_path: Path) -> None:
    pci_dir = install(tmp_path, p150a(0))
    other = pci_dir / "hwmon" / "hwmon0"  # sorts first, belongs to something else
    other.mkdir()
    (other / "name").write_text("nvme\n")
    assert hwmon_dir(str(pci_dir)) == str(pci_dir / "hwmon" / "hwmon3")


def test_missing_attributes_are_none(tmp_path: Path) -> None:
    pci_dir = install(tmp_path, p150a(0))
    card_dir = pci_dir / "tenstorrent" / "tenstorrent!0"
    for name in ("tt_aiclk", "tt_serial", "tt_heartbeat"):
        (card_dir / name).unlink()
    for name in ("fan1_input", "power1_max"):
        (pci_dir / "hwmon" / "hwmon3" / name).unlink()
    with TenstorrentBackend(root=str(tmp_path)) as backend:
        [dev] = backend.read()
    assert dev.clock_graphics_mhz is None and dev.fan_rpm is None and dev.power_limit_w is None
    assert dev.uuid == "tt-0000:03:00.0"  # no serial: the PCI address
    assert "heartbeat" not in dev.details and "board_id" not in dev.details
    assert dev.power_w == 40.0
    assert dev.problems == ()  # absent files are normal, not problems


def test_unreadable_hwmon_file_is_a_missing_value(tmp_path: Path) -> None:
    """A file that raises OSError on read (here a directory) gives None and a problem."""
    pci_dir = install(tmp_path, p150a(0))
    power = pci_dir / "hwmon" / "hwmon3" / "power1_input"
    power.unlink()
    power.mkdir()
    with TenstorrentBackend(root=str(tmp_path)) as backend:
        [dev] = backend.read()
        assert backend.status_message() == "tt-kmd sysfs"  # temperature is still there
    assert dev.power_w is None
    assert dev.temperature_c == 41.375
    assert dev.problems == ("hwmon/power1_input: Is a directory",)


def test_card_without_device_link_still_reads_its_attributes(tmp_path: Path) -> None:
    pci_dir = install(tmp_path, p150a(0))
    (pci_dir / "tenstorrent" / "tenstorrent!0" / "device").unlink()
    [card_dir] = find_cards(str(tmp_path))
    card = read_card(card_dir)
    assert card.pci_address is None and card.hwmon == {} and card.pci == {}
    assert card.attributes["tt_card_type"] == "p150a"


def test_sysfs_without_telemetry_falls_back_to_tt_smi(tmp_path: Path) -> None:
    install(tmp_path, FakeCard(0, "0000:04:00.0", {"tt_card_type": "p300c"}))
    tool = fake_tool(tmp_path, f'cat "{FIXTURE}"')
    with TenstorrentBackend(root=str(tmp_path), tool=tool) as backend:
        [dev] = backend.read()
        assert backend.status_message() == "tt-smi snapshot"
    assert dev.details["collection_method"] == "tt-smi"
    assert dev.power_w == 16.0


def test_one_bare_card_is_enough_to_use_tt_smi(tmp_path: Path) -> None:
    """tt-smi sees every card; mixing sources per card would mix index and uuid schemes."""
    install(tmp_path, p150a(0))
    install(tmp_path, FakeCard(1, "0000:05:00.0", {"tt_card_type": "p150a"}))
    tool = fake_tool(tmp_path, f'cat "{FIXTURE}"')
    with TenstorrentBackend(root=str(tmp_path), tool=tool) as backend:
        assert backend.status_message() == "tt-smi snapshot"


def test_empty_class_folder_falls_back_to_tt_smi(tmp_path: Path) -> None:
    (tmp_path / "sys/class/tenstorrent").mkdir(parents=True)
    tool = fake_tool(tmp_path, f'cat "{FIXTURE}"')
    with TenstorrentBackend(root=str(tmp_path), tool=tool) as backend:
        [dev] = backend.read()
    assert dev.name == "Tenstorrent Blackhole p300c"


@pytest.mark.usefixtures("no_tt_smi")
def test_no_telemetry_and_no_tt_smi_is_unavailable(tmp_path: Path) -> None:
    install(tmp_path, FakeCard(0, "0000:04:00.0", {"tt_card_type": "n150"}))
    with pytest.raises(BackendUnavailable, match=r"no temperature or power for tenstorrent!0.*"
                                                 r"tt-smi not found"):
        TenstorrentBackend(root=str(tmp_path)).open()


@pytest.mark.usefixtures("no_tt_smi")
def test_no_card_and_no_tt_smi_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(BackendUnavailable, match=r"no card under .*sys/class/tenstorrent"):
        TenstorrentBackend(root=str(tmp_path)).read()


def test_a_removed_card_is_a_read_error(tmp_path: Path) -> None:
    install(tmp_path, p150a(0))
    backend = TenstorrentBackend(root=str(tmp_path))
    backend.open()
    shutil.rmtree(tmp_path / "sys/devices")
    with pytest.raises(BackendReadError, match="is gone"):
        backend.read()


def test_availability_needs_dev_tenstorrent(tmp_path: Path) -> None:
    (tmp_path / "sys/class/tenstorrent").mkdir(parents=True)
    result = availability(str(tmp_path))
    assert not result and "/dev/tenstorrent" in result.reason


@pytest.mark.usefixtures("no_tt_smi")
def test_availability_with_sysfs_needs_no_tt_smi(tmp_path: Path) -> None:
    install(tmp_path, p150a(0))
    assert availability(str(tmp_path))


@pytest.mark.usefixtures("no_tt_smi")
def test_availability_without_sysfs_or_tt_smi_says_why(tmp_path: Path) -> None:
    (tmp_path / "dev/tenstorrent").mkdir(parents=True)
    result = availability(str(tmp_path))
    assert not result
    assert "/sys/class/tenstorrent" in result.reason and "tt-smi" in result.reason


def test_availability_without_sysfs_takes_tt_smi(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "dev/tenstorrent").mkdir(parents=True)
    fake_tool(tmp_path, "exit 0")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert availability(str(tmp_path))
