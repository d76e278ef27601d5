"""One ChassisReading a tick: DMI names (read once), BMC figures, else ACPI thermal zones."""

from __future__ import annotations

import os
import shutil

from allsmi_py.chassis.ipmi import IpmiPoller
from allsmi_py.cpu_sensors.sysfs import ByteReader, read_capped
from allsmi_py.model_chassis import ChassisFan, ChassisReading

_DMI = (("product_name", "product_name"), ("vendor", "sys_vendor"), ("board", "board_name"),
        ("version", "product_version"), ("bios_version", "bios_version"))
# what firmware writes where the maker filled nothing in
_PLACEHOLDERS = frozenset({"", "to be filled by o.e.m.", "default string", "not specified",
                           "none", "n/a", "0", "system product name", "system version",
                           "x.x", "not applicable"})
_MAX_TEXT = 128
_MAX_ZONES = 64
_IPMI_DEVICES = ("dev/ipmi0", "dev/ipmi/0", "dev/ipmidev/0")


def _text(raw: bytes) -> str | None:
    text = raw.decode("utf-8", errors="replace").strip()
    if text.lower() in _PLACEHOLDERS or not text.isprintable() or len(text) > _MAX_TEXT:
        return None
    return text


class ChassisReader:
    """Reads the chassis under `root` (a test's tree, or /); `ipmi=False` never runs ipmitool."""

    def __init__(self, root: str = "/", reader: ByteReader = read_capped,
                 ipmi: IpmiPoller | bool = True) -> None:
        self._root = root
        self._reader = reader
        self._names = self._read_dmi()
        if ipmi is True:
            has_bmc = any(os.path.exists(os.path.join(root, d)) for d in _IPMI_DEVICES)
            ipmi = IpmiPoller() if has_bmc and shutil.which("ipmitool") else False
        self._ipmi: IpmiPoller | None = None if isinstance(ipmi, bool) else ipmi

    def _read(self, relative: str, limit: int = 256) -> bytes | None:
        try:
            return self._reader(os.path.join(self._root, relative), limit)
        except (OSError, ValueError):
            return None

    def _read_dmi(self) -> dict[str, str]:
        names: dict[str, str] = {}
        for field, file in _DMI:
            raw = self._read(f"sys/class/dmi/id/{file}", _MAX_TEXT + 1)
            text = None if raw is None else _text(raw)
            if text:
                names[field] = text
        return names

    def _acpi_zones(self) -> tuple[float | None, float | None]:
        """(coolest, hottest) acpitz zone in °C, as all-smi's inlet and outlet on Linux."""
        base = os.path.join(self._root, "sys/class/thermal")
        try:
            zones = sorted(z for z in os.listdir(base) if z.startswith("thermal_zone"))
        except OSError:
            return None, None
        temps = []
        for zone in zones[:_MAX_ZONES]:
            kind = self._read(f"sys/class/thermal/{zone}/type", 64)
            if kind is None or kind.strip() != b"acpitz":
                continue
            raw = self._read(f"sys/class/thermal/{zone}/temp", 32)
            try:
                millidegrees = int(raw or b"")
            except ValueError:
                continue
            if -40_000 <= millidegrees <= 150_000:
                temps.append(round(millidegrees / 1000.0, 1))
        return (min(temps), max(temps)) if temps else (None, None)

    def read(self) -> ChassisReading | None:
        """This tick's chassis; None when nothing at all is known about it."""
        inlet, outlet = self._acpi_zones()
        power = None
        fans: tuple[ChassisFan, ...] = ()
        source = "acpi" if inlet is not None else None
        problems: tuple[str, ...] = ()
        if self._ipmi is not None:
            found = self._ipmi.poll()
            if found is not None and ((found.inlet_c, found.outlet_c, found.power_w) != (
                    None, None, None) or found.fans):
                inlet = found.inlet_c if found.inlet_c is not None else inlet
                outlet = found.outlet_c if found.outlet_c is not None else outlet
                power, fans, source = found.power_w, found.fans, "ipmi"
            if self._ipmi.problem:
                problems = (self._ipmi.problem,)
        if not self._names and inlet is None and outlet is None and power is None and not fans:
            return None
        return ChassisReading(platform="Linux", inlet_c=inlet, outlet_c=outlet, power_w=power,
                              sensor_source=source, fans=fans, problems=problems,
                              **self._names)

    def close(self) -> None:
        """Stop a BMC query still running."""
        if self._ipmi is not None:
            self._ipmi.close()
