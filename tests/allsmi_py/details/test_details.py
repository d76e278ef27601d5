"""Vendor detail declarations: the format a key is written in, read back, and who it is for."""

from __future__ import annotations

import math

import pytest

from allsmi_py.details import DetailKey, VendorDetails
from allsmi_py.details.gaudi import GAUDI
from allsmi_py.details.registry import VENDORS
from allsmi_py.details.tenstorrent import DDR_STATUS, TENSTORRENT, VOLTAGE
from allsmi_py.details.tpu import TPU
from allsmi_py.model import DeviceReading

NUMBER = DetailKey("clock_mhz", "number", "MHz")


def reading(name: str, vendor: str, kind: str = "npu") -> DeviceReading:
    return DeviceReading(backend="test", index=0, uuid="u0", name=name, vendor=vendor, kind=kind)


def test_numbers_are_written_as_g_and_read_back() -> None:
    details: dict[str, str] = {}
    NUMBER.put(details, 1350.0)
    VOLTAGE.put(details, 0.735)
    assert details == {"clock_mhz": "1350", "voltage": "0.735"}
    assert NUMBER.number(details) == 1350.0
    assert VOLTAGE.number(details) == pytest.approx(0.735)


def test_registers_are_written_and_read_as_hex() -> None:
    details: dict[str, str] = {}
    DDR_STATUS.put(details, 0x55)
    assert details == {"ddr_status": "0x55"}
    assert DDR_STATUS.number(details) == 0x55


@pytest.mark.parametrize("value", [None, "", "   ", math.nan, math.inf, -math.inf])
def test_nothing_is_written_for_a_missing_or_non_finite_value(value: object) -> None:
    details: dict[str, str] = {}
    NUMBER.put(details, value)  # type: ignore[arg-type]
    assert details == {}


@pytest.mark.parametrize("text", ["", "abc", "inf", "-inf", "nan", "1e400", "0x", "12 MHz"])
def test_a_hostile_number_text_reads_as_none(text: str) -> None:
    assert NUMBER.number({"clock_mhz": text}) is None


@pytest.mark.parametrize("text", ["", "zz", "0x", "1.5"])
def test_a_hostile_register_text_reads_as_none(text: str) -> None:
    assert DDR_STATUS.number({"ddr_status": text}) is None


def test_text_is_none_when_absent_or_empty() -> None:
    key = DetailKey("firmware_version")
    assert key.text({}) is None
    assert key.text({"firmware_version": ""}) is None
    assert key.text({"firmware_version": "1.2"}) == "1.2"


def test_vendor_is_picked_by_the_readings_vendor_not_its_name() -> None:
    assert TENSTORRENT.matches(reading("Wormhole n300", "Tenstorrent"))
    assert not TENSTORRENT.matches(reading("Tenstorrent look-alike", "NVIDIA", "gpu"))
    assert TPU.matches(reading("v4", "Google"))
    assert not TPU.matches(reading("NVIDIA TPU-sized GPU", "NVIDIA", "gpu"))


def test_gaudi_is_intels_npu_not_its_gpu() -> None:
    assert GAUDI.matches(reading("HL-325L", "Intel", "npu"))
    assert not GAUDI.matches(reading("Intel Arc A770 HL-", "Intel", "gpu"))


def test_every_vendor_declares_each_key_once() -> None:
    families = [v.family for v in VENDORS]
    assert len(set(families)) == len(families)
    for vendor in VENDORS:
        keys = [k.key for k in vendor.keys]
        assert len(set(keys)) == len(keys), vendor.family
        assert all(k.kind in ("text", "number", "hex") for k in vendor.keys)


def test_key_lookup_refuses_an_undeclared_key() -> None:
    vendor = VendorDetails("x", "X", (NUMBER,))
    assert vendor.key("clock_mhz") is NUMBER
    with pytest.raises(KeyError):
        vendor.key("clock_ghz")
