"""Pure parser for `tt-smi -s` snapshot JSON (Tenstorrent Grayskull, Wormhole, Blackhole).

Layout (tt-smi `tt_smi/log.py`): `device_info[]` with `board_info`, `telemetry` (formatted
strings, often with leading spaces), `smbus_telem` (raw hex words or null), and in full
snapshots `firmwares` and `limits`; every key is optional. Raw words are decoded with
tt-smi's own rules (`tt_smi/backend.py`). Nothing here reports utilization or memory in use:
no Tenstorrent source does, so those fields stay None.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from allsmi_py.details import tenstorrent as tt
from allsmi_py.model import DeviceReading, ProcessReading

_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")

# Board names to chip architecture (tt-smi's board tables: e75/e150 Grayskull,
# n150/n300 Wormhole, p100/p150/p300 Blackhole).
_ARCH_BY_PREFIX = (("e", "Grayskull"), ("n", "Wormhole"), ("p", "Blackhole"))

# Firmware strings in a full snapshot's `firmwares` block, keyed as all-smi's exporter reads them.
_FIRMWARE_KEYS = {
    "fw_bundle_version": "fw_bundle_version",
    "tt_flash_version": "tt_flash_version",
    "cm_fw": "arc_fw_version",
    "cm_fw_date": "fw_date",
    "eth_fw": "eth_fw_version",
    "dm_bl_fw": "dm_bl_fw_version",
    "dm_app_fw": "dm_app_fw_version",
    "gddr_fw": "ddr_fw_version",
}


class SnapshotError(ValueError):
    """The text is not a tt-smi snapshot."""


def number(text: Any) -> float | None:
    """First decimal number in a tt-smi value (' 23.0', '800 MHz'); None for N/A or absent."""
    if isinstance(text, bool) or text is None:
        return None
    if isinstance(text, int | float):
        return float(text)
    match = _NUMBER.search(str(text))
    return float(match.group()) if match else None


def hex_word(text: Any) -> int | None:
    """A `smbus_telem` hex string ('0x2cf') as an int; None when null or malformed."""
    if not isinstance(text, str):
        return None
    try:
        return int(text, 16)
    except ValueError:
        return None


def architecture(board_type: str | None) -> str | None:
    """Chip family ('Blackhole') from a board type ('p300c'); None when unknown."""
    if not board_type:
        return None
    first = board_type.strip().lower()[:1]
    return next((arch for prefix, arch in _ARCH_BY_PREFIX if prefix == first), None)


def asic_temperature_c(raw: int, arch: str | None) -> float:
    """Decode ASIC_TEMPERATURE in °C: signed 16.16 fixed point on Blackhole, 12.4 elsewhere."""
    if arch == "Blackhole":
        signed = raw - (1 << 32) if raw & 0x8000_0000 else raw
        return signed / 65536.0
    return (raw & 0xFFFF) / 16.0


def loads(text: str) -> dict[str, Any]:
    """Decode snapshot text, skipping the progress output `tt-smi -s` prints before the JSON."""
    start = text.find("{")
    if start < 0:
        raise SnapshotError("no JSON object in tt-smi output")
    try:
        doc = json.loads(text[start:])
    except json.JSONDecodeError as exc:
        raise SnapshotError(f"tt-smi printed malformed JSON: {exc.msg} at {exc.pos}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("device_info"), list):
        raise SnapshotError("tt-smi snapshot has no device_info list")
    return doc


def _section(entry: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = entry.get(key)
    return value if isinstance(value, Mapping) else {}


def _board_id(board: Mapping[str, Any], smbus: Mapping[str, Any]) -> str | None:
    if isinstance(board.get("board_id"), str) and board["board_id"].strip():
        return str(board["board_id"]).strip()
    high, low = hex_word(smbus.get("BOARD_ID_HIGH")), hex_word(smbus.get("BOARD_ID_LOW"))
    if high is None or low is None:
        return None
    # tt-smi prints the board id as the 64-bit word (HIGH << 32 | LOW) in hex.
    return f"{(high << 32) | low:x}"


@dataclass(frozen=True, slots=True)
class CardIdentity:
    """Which card a reading is, as both sources (tt-smi, tt-kmd sysfs) tell it."""

    board_type: str | None  # 'p300c'
    arch: str | None  # 'Blackhole'
    board_id: str | None  # as tt-smi prints it
    pcie_address: str | None

    def details(self, collection_method: str) -> dict[str, str]:
        """The details both sources share: where the reading came from and which card it is."""
        details = {"collection_method": collection_method}
        for key, value in (("board_type", self.board_type),
                           ("architecture", self.arch and self.arch.lower()),
                           ("board_id", self.board_id), ("pcie_address", self.pcie_address)):
            if value:
                details[key] = value
        return details

    def reading(self, backend: str, index: int, details: Mapping[str, str]) -> DeviceReading:
        """The card with no value read yet; its uuid is tt-<board id, PCIe address or index>."""
        uuid_key = self.board_id or self.pcie_address or str(index)
        return DeviceReading(
            backend=backend,
            index=index,
            uuid=f"tt-{uuid_key}",
            name=" ".join(p for p in ("Tenstorrent", self.arch, self.board_type) if p),
            kind="npu",
            vendor="Tenstorrent",
            details=details,
        )


def parse_device(index: int, entry: Mapping[str, Any], backend: str) -> DeviceReading:
    """One `device_info` entry as a DeviceReading (W, °C, MHz; memory and utilization None)."""
    board = _section(entry, "board_info")
    tele = _section(entry, "telemetry")
    smbus = _section(entry, "smbus_telem")
    limits = _section(entry, "limits")
    firmwares = _section(entry, "firmwares")

    board_type = str(board.get("board_type", "")).strip() or None
    arch = architecture(board_type)
    card = CardIdentity(board_type, arch, _board_id(board, smbus),
                        str(board.get("bus_id", "")).strip() or None)

    temp = number(tele.get("asic_temperature"))
    raw_temp = hex_word(smbus.get("ASIC_TEMPERATURE"))
    if temp is None and raw_temp is not None:
        temp = asic_temperature_c(raw_temp, arch)

    power = number(tele.get("power"))
    tdp = hex_word(smbus.get("TDP"))
    if power is None and tdp is not None:
        power = float(tdp & 0xFFFF)
    current = number(tele.get("current"))
    tdc = hex_word(smbus.get("TDC"))
    if current is None and tdc is not None:
        current = float(tdc & 0xFFFF)
    voltage = number(tele.get("voltage"))
    vcore = hex_word(smbus.get("VCORE"))
    if voltage is None and vcore is not None:
        voltage = vcore / 1000.0
    aiclk = number(tele.get("aiclk"))
    raw_aiclk = hex_word(smbus.get("AICLK"))
    if aiclk is None and raw_aiclk is not None:
        aiclk = float(raw_aiclk & 0xFFFF)

    details = card.details("tt-smi")
    for src, dst in _FIRMWARE_KEYS.items():
        value = firmwares.get(src)
        if isinstance(value, str) and value.strip() and value.strip() != "N/A":
            details[dst] = value.strip()
    tt.ASIC_TEMPERATURE.put(details, None if temp is None else round(temp, 2))
    tt.AICLK_MHZ.put(details, aiclk)
    for word_name, key in (("AXICLK", tt.AXICLK_MHZ), ("ARCCLK", tt.ARCCLK_MHZ)):
        word = hex_word(smbus.get(word_name))
        key.put(details, None if word is None else word & 0xFFFF)
    tt.VOLTAGE.put(details, voltage)
    tt.CURRENT.put(details, current)
    tt.POWER_WATTS.put(details, power)
    tt.HEARTBEAT.put(details, number(tele.get("heartbeat")))
    tt.DDR_STATUS.put(details, hex_word(smbus.get("DDR_STATUS")))
    ddr_speed = hex_word(smbus.get("DDR_SPEED"))
    if ddr_speed:
        tt.DRAM_SPEED.put(details, str(ddr_speed))
    elif isinstance(board.get("dram_speed"), str):
        tt.DRAM_SPEED.put(details, board["dram_speed"])
    fan_speed = number(tele.get("fan_speed"))
    tt.FAN_SPEED.put(details, fan_speed)
    fan_rpm_word = hex_word(smbus.get("FAN_RPM"))
    fan_rpm = float(fan_rpm_word) if fan_rpm_word else None
    tt.FAN_RPM.put(details, fan_rpm)
    vdd = hex_word(smbus.get("VDD_LIMITS"))
    if vdd is not None:
        # VDD_LIMITS packs max (high half) and min (low half), both in mV.
        tt.VDD_MIN_MV.put(details, vdd & 0xFFFF)
        tt.VDD_MAX_MV.put(details, (vdd >> 16) & 0xFFFF)
    for src, key in (
        ("tdp_limit", tt.TDP_LIMIT),
        ("tdc_limit", tt.TDC_LIMIT),
        ("thm_limit", tt.THERMAL_LIMIT),
    ):
        key.put(details, number(limits.get(src)))

    power_limit = number(limits.get("board_power_limit"))
    # Raw limit words read as whole W / °C like TDP; not confirmed against a tt-smi table.
    raw_limit = hex_word(smbus.get("BOARD_POWER_LIMIT"))
    if power_limit is None and raw_limit:
        power_limit = float(raw_limit & 0xFFFF)
    shutdown = hex_word(smbus.get("THM_LIMIT_SHUTDOWN"))

    return replace(
        card.reading(backend, index, details),
        temperature_c=temp,
        temperature_shutdown_c=float(shutdown & 0xFFFF) if shutdown else None,
        power_w=power,
        power_limit_w=power_limit,
        clock_graphics_mhz=aiclk,
        fan_pct=fan_speed,
        fan_rpm=fan_rpm,
    )


def _int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def parse_processes(doc: Mapping[str, Any]) -> dict[int, tuple[ProcessReading, ...]]:
    """tt-smi 6.x top-level `processes[]` grouped by device index."""
    grouped: dict[int, list[ProcessReading]] = {}
    for proc in doc.get("processes") or ():
        if not isinstance(proc, Mapping):
            continue
        pid, device = _int(proc.get("pid")), _int(proc.get("device"))
        if pid is None or device is None:
            continue
        cmd = proc.get("cmdline")
        grouped.setdefault(device, []).append(
            ProcessReading(
                pid=pid,
                user=str(proc["user"]) if proc.get("user") else None,
                command=str(cmd) if cmd else None,
                name=str(cmd).split()[0].rsplit("/", 1)[-1] if cmd else None,
                process_type="npu",
            )
        )
    return {dev: tuple(rows) for dev, rows in grouped.items()}


def parse_snapshot(text: str, backend: str = "tenstorrent") -> list[DeviceReading]:
    """Every device in a `tt-smi -s` snapshot; raises SnapshotError on garbage."""
    doc = loads(text)
    processes = parse_processes(doc)
    readings = []
    for index, entry in enumerate(doc["device_info"]):
        if not isinstance(entry, Mapping):
            raise SnapshotError(f"device_info[{index}] is not an object")
        reading = parse_device(index, entry, backend)
        if index in processes:
            reading = replace(reading, processes=processes[index])
        readings.append(reading)
    return readings
