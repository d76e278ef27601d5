"""The shared sysfs readers on fake trees, hostile files included."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from backends._common.sysfs import (
    MAX_READ_BYTES,
    device_driver,
    drm_cards,
    find_hwmon,
    hwmon_dirs,
    parse_int,
    parse_uevent,
    pci_devices,
    pci_vendor,
    pcie_generation,
    read_int,
    read_text,
    read_texts,
    read_uevent,
)


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data)
    return path


def test_read_text_strips_whitespace_and_trailing_nul(tmp_path: Path) -> None:
    assert read_text(str(write(tmp_path / "a", " amdgpu \n"))) == "amdgpu"
    assert read_text(str(write(tmp_path / "model", b"NVIDIA Jetson AGX Orin\0"))) == (
        "NVIDIA Jetson AGX Orin")
    assert read_text(str(write(tmp_path / "b", b"x\n\0"))) == "x"
    assert read_text(str(write(tmp_path / "empty", ""))) == ""


def test_read_text_of_a_missing_file_is_none_and_no_problem(tmp_path: Path) -> None:
    problems: list[str] = []
    assert read_text(str(tmp_path / "absent"), problems=problems) is None
    assert read_text(str(write(tmp_path / "f", "1") / "below"), problems=problems) is None
    assert problems == []


def test_read_text_of_a_present_but_unreadable_file_is_noted(tmp_path: Path) -> None:
    (tmp_path / "power1_input").mkdir()
    problems: list[str] = []
    assert read_text(str(tmp_path / "power1_input"), problems=problems,
                     label="hwmon/power1_input") is None
    assert problems == ["hwmon/power1_input: Is a directory"]
    assert read_text(str(tmp_path / "power1_input")) is None  # without a list: just None


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its mode")
def test_read_text_without_permission_is_none(tmp_path: Path) -> None:
    path = write(tmp_path / "serial_number", "123\n")
    path.chmod(0)
    problems: list[str] = []
    assert read_text(str(path), problems=problems, label="serial_number") is None
    assert problems == ["serial_number: Permission denied"]


def test_read_text_of_a_huge_file_reads_at_most_the_cap(tmp_path: Path) -> None:
    path = write(tmp_path / "huge", b"7" * (MAX_READ_BYTES * 16))
    text = read_text(str(path))
    assert text is not None and len(text) == MAX_READ_BYTES
    assert read_text(str(path), limit=10) == "7" * 10
    assert read_int(str(path)) is None  # not a number anyone reports


def test_read_text_of_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    path = write(tmp_path / "name", b"amd\xff\xfegpu\n")
    assert read_text(str(path)) == "amd\ufffd\ufffdgpu"
    assert read_int(str(write(tmp_path / "temp", b"\xff41000\n"))) is None


@pytest.mark.parametrize(("text", "want"), [
    ("800\n", 800), (" 12 ", 12), ("", None), ("-", None), (None, None),
    ("16 lanes", 16), ("0x1002", 0x1002), ("0XFACA", 0xFACA), ("+5", 5),
    ("garbage", None), ("12abc", None), ("1_000", None), ("4.5", None), ("0x", None),
    ("-1", None), ("-273150", None), ("4294967295", None), ("0xFFFFFFFF", None),
    ("18446744073709551615", None), ("4294967294", 4294967294), ("9" * 40, None),
])
def test_parse_int(text: str | None, want: int | None) -> None:
    assert parse_int(text) == want


def test_parse_int_signed_keeps_negatives_but_not_sentinels() -> None:
    assert parse_int("-5000", signed=True) == -5000
    assert parse_int("-273150\n", signed=True) == -273150
    assert parse_int("0xffffffff", signed=True) is None


def test_read_int_hostile_files(tmp_path: Path) -> None:
    assert read_int(str(write(tmp_path / "ok", "51000\n"))) == 51000
    assert read_int(str(write(tmp_path / "garbage", "\x00\x01 not a number"))) is None
    assert read_int(str(write(tmp_path / "negative", "-1\n"))) is None
    assert read_int(str(write(tmp_path / "cold", "-5000\n")), signed=True) == -5000
    assert read_int(str(write(tmp_path / "sentinel", "4294967295\n"))) is None
    assert read_int(str(tmp_path / "absent")) is None


def test_read_texts_reads_what_is_there(tmp_path: Path) -> None:
    write(tmp_path / "tt_aiclk", "800\n")
    (tmp_path / "tt_serial").mkdir()
    problems: list[str] = []
    texts = read_texts(str(tmp_path), ("tt_aiclk", "tt_serial", "tt_heartbeat"),
                       problems=problems, prefix="card/")
    assert texts == {"tt_aiclk": "800"}
    assert problems == ["card/tt_serial: Is a directory"]


def test_uevent_and_driver(tmp_path: Path) -> None:
    device = tmp_path / "0000:03:00.0"
    write(device / "uevent", "DRIVER=xe\nPCI_ID=8086:E20B\nnot a pair\n")
    assert parse_uevent("A=1\nB=x=y\n") == {"A": "1", "B": "x=y"}
    assert parse_uevent(None) == {}
    assert read_uevent(str(device)) == {"DRIVER": "xe", "PCI_ID": "8086:E20B"}
    assert device_driver(str(device)) == "xe"  # no driver link: uevent's DRIVER
    (tmp_path / "drivers/i915").mkdir(parents=True)
    (device / "driver").symlink_to(tmp_path / "drivers/i915")
    assert device_driver(str(device)) == "i915"  # the link wins
    assert device_driver(str(tmp_path / "absent")) is None


def test_find_hwmon_by_name(tmp_path: Path) -> None:
    device = tmp_path / "device"
    write(device / "hwmon/hwmon0/name", "nvme\n")
    write(device / "hwmon/hwmon3/name", "amdgpu\n")
    write(device / "hwmon/hwmon5/name", b"\xff\xfe")
    (device / "hwmon/hwmon7").mkdir()  # no name file
    assert [Path(p).name for p in hwmon_dirs(str(device))] == [
        "hwmon0", "hwmon3", "hwmon5", "hwmon7"]
    assert find_hwmon(str(device), ("amdgpu",)) == str(device / "hwmon/hwmon3")
    assert find_hwmon(str(device), frozenset({"xe", "i915"})) is None
    assert find_hwmon(str(device), ("xe",), first_if_unnamed=True) == str(
        device / "hwmon/hwmon0")
    assert find_hwmon(str(tmp_path / "absent"), ("xe",), first_if_unnamed=True) is None


def test_drm_cards_in_number_order_without_connectors(tmp_path: Path) -> None:
    for name in ("card10", "card2", "card0", "card0-DP-1", "card1-HDMI-A-1", "renderD128",
                 "card3x"):
        (tmp_path / "sys/class/drm" / name).mkdir(parents=True)
    assert [Path(p).name for p in drm_cards(str(tmp_path))] == ["card0", "card2", "card10"]
    assert drm_cards(str(tmp_path / "absent")) == []


def test_drm_cards_under_a_root_with_glob_characters(tmp_path: Path) -> None:
    root = tmp_path / "odd[1]"
    (root / "sys/class/drm/card0").mkdir(parents=True)
    assert drm_cards(str(root)) == [str(root / "sys/class/drm/card0")]


def test_pci_vendor_scan(tmp_path: Path) -> None:
    devices = tmp_path / "sys/bus/pci/devices"
    write(devices / "0000:00:04.0/vendor", "0x1AE0\n")
    write(devices / "0000:00:05.0/vendor", "0x1ae0\n")
    write(devices / "0000:00:01.0/vendor", "0x8086\n")
    write(devices / "0000:00:06.0/vendor", b"\xff" * 100_000)
    (devices / "0000:00:07.0").mkdir()  # no vendor file
    assert pci_vendor(str(devices / "0000:00:04.0")) == "0x1ae0"
    assert pci_vendor(str(devices / "0000:00:07.0")) is None
    assert [Path(p).name for p in pci_devices(str(tmp_path), "0x1AE0")] == [
        "0000:00:04.0", "0000:00:05.0"]
    assert pci_devices(str(tmp_path), "0x1da3") == []
    assert pci_devices(str(tmp_path / "absent"), "0x1ae0") == []


@pytest.mark.parametrize(("text", "want"), [
    ("32.0 GT/s PCIe", 5), ("16.0 GT/s PCIe", 4), ("8.0 GT/s PCIe", 3), ("2.5 GT/s", 1),
    ("8 GT/s", 3), ("64.0 GT/s PCIe", 6), ("Unknown", None), ("1.2.3 GT/s", None),
    ("3.0 GT/s", None), ("", None), (None, None)])
def test_pcie_generation(text: str | None, want: int | None) -> None:
    assert pcie_generation(text) == want
