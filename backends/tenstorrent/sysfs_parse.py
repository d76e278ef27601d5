"""Pure mapping of one card's tt-kmd sysfs and hwmon text to a DeviceReading.

What the files hold, as checked in tenstorrent/tt-kmd:
- `docs/sysfs-attributes.md`: the `tt_*` attributes of `/sys/class/tenstorrent/tenstorrent!<N>/`
  (the `!` is part of the name); each appears only when the firmware reports its telemetry
  tag, so an absent file is normal. `tt_aiclk`/`tt_axiclk`/`tt_arcclk` are MHz.
- `telemetry.c` (and the older per-chip copies in `wormhole.c`, `blackhole.c`, `hwmon.c`):
  the clocks, `tt_heartbeat` and `tt_therm_trip_count` print as plain decimal u32;
  `tt_serial` and `tt_asic_id` as `%08X%08X` (16 upper-case hex digits, no `0x`: the high
  then the low telemetry word); firmware versions as a dotted quad `a.b.c.d`, except
  `tt_eth_fw_ver`, which is `a.b.c`; `tt_card_type` from the board id's bits 4-19 (n150,
  n300, galaxy-wormhole, p100, p150a/b/c, p100a, p300a/b/c, galaxy-blackhole), else
  `unknown`; the older shared table in `hwmon.c` knew only Grayskull and Wormhole boards, so
  `unknown` is treated as no board type.
- hwmon (`telemetry.c` `tt_hwmon_read`; `wormhole.c` and `blackhole.c` for the tables),
  registered on the PCI device with name `wormhole` or `blackhole`, one channel per type:
  `temp1_input` m°C (16.16 fixed point converted), `temp1_max` m°C (throttle limit),
  `in0_input` and `in0_max` mV (hwmon numbers `in` channels from 0), `curr1_input` and
  `curr1_max` mA (whole amperes x 1000), `power1_input` and `power1_max` µW (whole watts
  x 1e6; the max is the TDP limit), `fan1_input` RPM (Blackhole only). Labels: Blackhole
  `asic_temp vcore current power fan_rpm`, Wormhole `asic1_temp vcore1 current1 power1`.
- `module.c`: tt-kmd is a PCI driver, so a class entry is a PCI function. An n300 board has two
  Wormhole chips but only one on PCIe; its second chip, which tt-smi lists through the first,
  has no sysfs entry and is not reported here.

Detail keys and units are the ones `parse.py` gives for tt-smi, so the exporter's
`all_smi_tenstorrent_*` families read the same from either source. Utilization and memory in
use stay None: no Tenstorrent source reports them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from allsmi_py.details import tenstorrent as tt
from allsmi_py.model import DeviceReading
from allsmi_py.units import ma_to_a, millidegrees_to_c, mv_to_v, uw_to_w
from backends._common.sysfs import parse_int, pcie_generation
from backends.tenstorrent.parse import CardIdentity, architecture

# PCI device ids (tt-kmd `enumerate.h`) for when neither hwmon nor the card type says.
_ARCH_BY_PCI_DEVICE = {"0xfaca": "Grayskull", "0x401e": "Wormhole", "0xb140": "Blackhole"}

# tt-kmd attribute -> detail key used by the tt-smi parser (parse.py `_FIRMWARE_KEYS`).
_FIRMWARE_DETAILS = {
    "tt_fw_bundle_ver": tt.FW_BUNDLE_VERSION,
    "tt_ttflash_ver": tt.TT_FLASH_VERSION,
    "tt_arc_fw_ver": tt.ARC_FW_VERSION,  # CM (chip management) firmware runs on the ARC
    "tt_eth_fw_ver": tt.ETH_FW_VERSION,
    "tt_m3bl_fw_ver": tt.DM_BL_FW_VERSION,  # the M3 is the board's device manager (DM)
    "tt_m3app_fw_ver": tt.DM_APP_FW_VERSION,
}

# tt-smi reports Blackhole's TIMER_HEARTBEAT divided by 6 (tt-smi `backend.py`; on its own
# p300c snapshot 0x10e7a // 6 == 11540). tt-kmd prints the raw word; dividing keeps the two
# sources' heartbeat families alike. Wormhole's kmd counter is left raw: tt-smi reads a
# different word there (ARC3_HEALTH // 5) and the two have not been matched.
_HEARTBEAT_DIVISOR = {"Blackhole": 6}


@dataclass(frozen=True, slots=True)
class CardFiles:
    """The text of one card's files as read in one pass (stripped; absent files left out)."""

    ordinal: int  # N of tenstorrent!N, the same as /dev/tenstorrent/N
    attributes: Mapping[str, str] = field(default_factory=dict)  # tt_* of the class entry
    hwmon: Mapping[str, str] = field(default_factory=dict)  # name, temp1_input, ...
    pci: Mapping[str, str] = field(default_factory=dict)  # device, current_link_speed, ...
    pci_address: str | None = None  # basename of the class entry's `device` link
    unreadable: tuple[str, ...] = ()  # 'hwmon/power1_input: Is a directory' (present, unread)


def board_id(serial: str | None) -> str | None:
    """tt-smi's board id (lower-case hex, no leading zeros) from `tt_serial` ('00000461319...')."""
    try:
        value = int(serial or "", 16)
    except ValueError:
        return None
    # 0 is an unprogrammed board id and all ones what a hung device reads back: neither is
    # an identity, and two such cards would share one uuid.
    return f"{value:x}" if 0 < value < (1 << 64) - 1 else None


def card_architecture(card: CardFiles, board_type: str | None) -> str | None:
    """'Wormhole' or 'Blackhole' from the hwmon name, else the PCI device id, else the board."""
    name = card.hwmon.get("name", "").strip().lower()
    if name in ("grayskull", "wormhole", "blackhole"):
        return name.capitalize()
    by_id = _ARCH_BY_PCI_DEVICE.get(card.pci.get("device", "").strip().lower())
    return by_id or architecture(board_type)


def reading_from_sysfs(card: CardFiles, backend: str = "tenstorrent") -> DeviceReading:
    """One card as a DeviceReading: °C, W, MHz, RPM; utilization and memory stay None."""
    attrs, hwmon = card.attributes, card.hwmon
    card_type = attrs.get("tt_card_type", "").strip()
    board_type = card_type if card_type and card_type != "unknown" else None
    arch = card_architecture(card, board_type)
    identity = CardIdentity(board_type, arch, board_id(attrs.get("tt_serial")), card.pci_address)

    temp = millidegrees_to_c(parse_int(hwmon.get("temp1_input"), signed=True))
    throttle = millidegrees_to_c(parse_int(hwmon.get("temp1_max"), signed=True))
    voltage = mv_to_v(parse_int(hwmon.get("in0_input")))
    current = ma_to_a(parse_int(hwmon.get("curr1_input")))
    tdc_limit = ma_to_a(parse_int(hwmon.get("curr1_max")))
    power = uw_to_w(parse_int(hwmon.get("power1_input")))
    tdp_limit = uw_to_w(parse_int(hwmon.get("power1_max")))
    fan = parse_int(hwmon.get("fan1_input"))
    fan_rpm = None if fan is None else float(fan)
    aiclk = parse_int(attrs.get("tt_aiclk"))

    details = identity.details("sysfs")
    tt.ASIC_ID.put(details, attrs.get("tt_asic_id"))
    for attr, key in _FIRMWARE_DETAILS.items():
        key.put(details, attrs.get(attr))
    tt.ASIC_TEMPERATURE.put(details, None if temp is None else round(temp, 3))
    for attr, key in (("tt_aiclk", tt.AICLK_MHZ), ("tt_axiclk", tt.AXICLK_MHZ),
                      ("tt_arcclk", tt.ARCCLK_MHZ), ("tt_therm_trip_count", tt.THERM_TRIP_COUNT)):
        key.put(details, parse_int(attrs.get(attr)))
    heartbeat = parse_int(attrs.get("tt_heartbeat"))
    if heartbeat is not None:
        tt.HEARTBEAT.put(details, heartbeat // _HEARTBEAT_DIVISOR.get(arch or "", 1))
    for key, value in ((tt.VOLTAGE, voltage), (tt.CURRENT, current), (tt.POWER_WATTS, power),
                       (tt.FAN_RPM, fan_rpm), (tt.TDP_LIMIT, tdp_limit),
                       (tt.TDC_LIMIT, tdc_limit), (tt.THERMAL_LIMIT, throttle)):
        key.put(details, value)
    tt.VDD_MAX_MV.put(details, parse_int(hwmon.get("in0_max")))

    return replace(
        identity.reading(backend, card.ordinal, details),
        temperature_c=temp,
        temperature_slowdown_c=throttle,
        power_w=power,
        power_limit_w=tdp_limit,
        clock_graphics_mhz=None if aiclk is None else float(aiclk),
        fan_rpm=fan_rpm,
        pcie_gen_current=pcie_generation(card.pci.get("current_link_speed")),
        pcie_width_current=parse_int(card.pci.get("current_link_width")),
        problems=card.unreadable,
    )


def has_telemetry(reading: DeviceReading) -> bool:
    """Whether sysfs gave this card a temperature or a power reading."""
    return reading.temperature_c is not None or reading.power_w is not None
