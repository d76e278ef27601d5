"""Pure parsers for Intel GPU telemetry: DRM fdinfo, counter deltas, sysfs values.

fdinfo keys follow the kernel's `Documentation/gpu/drm-usage-stats.rst`: xe prints
`drm-cycles-<class>` with `drm-total-cycles-<class>`; i915 prints `drm-engine-<class>: N ns`;
`drm-engine-capacity-<class>` counts the engines of a class (1 when absent); memory values
are bytes with an optional `KiB`/`MiB` suffix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from allsmi_py.units import size_to_bytes, uj_to_j

_CAPACITY, _ENGINE_BUSY = "drm-engine-capacity-", "drm-engine-"
_TOTAL_CYCLES, _CYCLES = "drm-total-cycles-", "drm-cycles-"
_COUNTER_PREFIXES = (_CAPACITY, _ENGINE_BUSY, _TOTAL_CYCLES, _CYCLES)
_MEMORY_PREFIXES = ("drm-total-", "drm-shared-", "drm-active-", "drm-resident-",
                    "drm-purgeable-")
INTEL_DRIVERS = frozenset({"i915", "xe"})
# Memory regions that are device-local VRAM: xe names them vram0..N, i915 local0..N.
_VRAM_REGIONS = ("vram", "local")


@dataclass(frozen=True, slots=True)
class FdInfo:
    """One DRM client's fdinfo: identity, memory in bytes, engine counters."""

    driver: str | None = None
    client_id: str | None = None
    pdev: str | None = None
    memory_bytes: Mapping[str, int] = field(default_factory=dict)  # "resident-vram0" -> bytes
    engine_busy_ns: Mapping[str, int] = field(default_factory=dict)  # i915
    cycles: Mapping[str, int] = field(default_factory=dict)  # xe
    total_cycles: Mapping[str, int] = field(default_factory=dict)  # xe
    capacity: Mapping[str, int] = field(default_factory=dict)

    @property
    def resident_vram_bytes(self) -> int | None:
        """Sum of `drm-resident-vram*`/`local*` in bytes, or None when not printed."""
        values = [v for k, v in self.memory_bytes.items()
                  if k.startswith("resident-") and k[9:].startswith(_VRAM_REGIONS)]
        return sum(values) if values else None


def parse_memory_value(text: str) -> int | None:
    """'192 KiB' -> 196608 bytes; '0' -> 0; None when not a size."""
    parts = text.split()
    if not parts or not parts[0].isdigit():
        return None
    return size_to_bytes(int(parts[0]), parts[1] if len(parts) > 1 else "B")


def _leading_int(text: str) -> int | None:
    parts = text.split()
    return int(parts[0]) if parts and parts[0].isdigit() else None


def parse_fdinfo(text: str) -> FdInfo | None:
    """Parse one /proc/<pid>/fdinfo/<fd>; None when the fd is not a DRM client."""
    pairs: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            pairs[key.strip()] = value.strip()
    if "drm-driver" not in pairs:
        return None
    counters: dict[str, dict[str, int]] = {prefix: {} for prefix in _COUNTER_PREFIXES}
    memory: dict[str, int] = {}
    for key, value in pairs.items():
        # The first matching prefix wins: "drm-engine-capacity-" is also a "drm-engine-" key.
        prefix = next((p for p in _COUNTER_PREFIXES if key.startswith(p)), None)
        if prefix is not None:
            number = _leading_int(value)
            if number is not None:
                counters[prefix][key[len(prefix):]] = number
        elif key.startswith(_MEMORY_PREFIXES):
            size = parse_memory_value(value)
            if size is not None:
                memory[key[len("drm-"):]] = size
    return FdInfo(
        driver=pairs.get("drm-driver"),
        client_id=pairs.get("drm-client-id"),
        pdev=pairs.get("drm-pdev"),
        memory_bytes=memory,
        engine_busy_ns=counters[_ENGINE_BUSY],
        cycles=counters[_CYCLES],
        total_cycles=counters[_TOTAL_CYCLES],
        capacity=counters[_CAPACITY],
    )


def client_engine_utilization(
    previous: FdInfo, current: FdInfo, wall_ns: int
) -> dict[str, float]:
    """Per engine class busy percent of one client between two reads (0-100 per class)."""
    result: dict[str, float] = {}
    for engine, cycles in current.cycles.items():
        # xe: busy share = Δcycles / Δtotal-cycles, spread over the engines of the class.
        before = previous.cycles.get(engine)
        total_now = current.total_cycles.get(engine)
        total_before = previous.total_cycles.get(engine)
        if before is None or total_now is None or total_before is None:
            continue
        delta_total = total_now - total_before
        if delta_total <= 0 or cycles < before:
            continue
        share = (cycles - before) / delta_total / current.capacity.get(engine, 1)
        result[engine] = min(100.0, 100.0 * share)
    if wall_ns > 0:
        for engine, busy in current.engine_busy_ns.items():
            before = previous.engine_busy_ns.get(engine)
            if before is None or busy < before:
                continue  # counters may go backwards (spec): wait until they catch up
            share = (busy - before) / wall_ns / current.capacity.get(engine, 1)
            result[engine] = min(100.0, 100.0 * share)
    return result


def device_engine_utilization(
    previous: Mapping[str, FdInfo], current: Mapping[str, FdInfo], wall_ns: int
) -> dict[str, float]:
    """Per engine class busy percent of a device, summed over clients seen in both reads."""
    totals: dict[str, float] = {}
    for key, now in current.items():
        before = previous.get(key)
        if before is None:
            continue
        for engine, pct in client_engine_utilization(before, now, wall_ns).items():
            totals[engine] = min(100.0, totals.get(engine, 0.0) + pct)
    return totals


def overall_utilization(engines: Mapping[str, float]) -> float | None:
    """The busiest engine class's percent, the figure intel_gpu_top leads with."""
    return max(engines.values()) if engines else None


def power_from_energy_w(
    previous_uj: int | None, current_uj: int | None, elapsed_s: float
) -> float | None:
    """Average watts between two µJ energy counter reads; None on first read or wrap."""
    if previous_uj is None or current_uj is None or elapsed_s <= 0:
        return None
    joules = uj_to_j(current_uj - previous_uj)  # None when the counter went backwards
    return None if joules is None else joules / elapsed_s


def sum_present(values: Iterable[int | None]) -> int | None:
    """Sum of the values that are not None; None when all are."""
    present = [v for v in values if v is not None]
    return sum(present) if present else None
