"""Where all-smi's exporter means something else than ours, read at the parse boundary (issue 19).

Facts from all-smi's source (lablup/all-smi b92ea0a):
- A process's `device_uuid` label is whatever its reader put there: the Furiosa reader writes
  the `furiosa-smi ps` device name (`npu0`), Rebellions' reader its device name too, Jetson's
  `JetsonGPU`, never the device's UUID; all-smi's own view keys
  processes by `gpu_index` (falling back to `device_id`). So a process whose `device_uuid`
  names no device is attached by that index, where exactly one device has it.
- `all_smi_process_start_time_seconds` is what the reader's start time parses to: sysinfo's
  Unix start time on the NVIDIA and generic paths, elapsed `[[h:]m:]s` on others, 0 when
  unknown (Furiosa). Ours is seconds elapsed at our snapshot. Our model holds the Unix time a
  process started (`ProcessReading.started_at_s`), so both become that here: a value of at
  least UNIX_TIME_FLOOR_S is a Unix time (no process has run since before 2001), a smaller
  one is elapsed and is taken back from the time the body is read, 0 is "not reported".
- `all_smi_ane_utilization` and `all_smi_ane_power_watts` are 0 on every non-Apple device
  ("Non-Apple readers set this to 0.0 to mean not applicable", src/device/types.rs): on a
  device that is not Apple's, a 0 there is no ANE reading.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from allsmi_py.remote.values import label_int

UNIX_TIME_FLOOR_S = 1e9  # 2001-09-09 in Unix time; 31.7 years as an elapsed time
FUTURE_SLACK_S = 300.0  # a start this far after our clock is a wrong clock, not a start
ANE_FIELD = "ane_power_w"
_INDEX_LABELS = ("gpu_index", "device_id")  # all-smi's view: gpu_index, then device_id


def process_index(labels: Mapping[str, str]) -> int | None:
    """The device index a process line names (all-smi's `gpu_index`, else `device_id`)."""
    for name in _INDEX_LABELS:
        index = label_int(labels.get(name, ""))
        if index is not None:
            return index
    return None


def started_at(value: float, now_s: float) -> float | None:
    """The Unix time a process started, from either exporter's start-time sample, or None."""
    if not math.isfinite(value) or value <= 0:
        return None
    if value >= UNIX_TIME_FLOOR_S:
        return value if value <= now_s + FUTURE_SLACK_S else None
    return now_s - value


def is_apple(fields: Mapping[str, Any]) -> bool:
    """Whether a parsed device is Apple's: our `vendor` label, else all-smi's name or Metal lib."""
    vendor = str(fields.get("vendor") or "")
    if vendor:
        return vendor.lower() == "apple"
    details = fields.get("details") or {}
    return (str(fields.get("name") or "").lower().startswith("apple")
            or str(details.get("lib_name", "")).lower() == "metal")


def drop_not_applicable_ane(fields: dict[str, Any]) -> None:
    """Remove all-smi's "not applicable" ANE 0 from a device that has no ANE."""
    if fields.get(ANE_FIELD) == 0 and not is_apple(fields):
        del fields[ANE_FIELD]


def owner_by_index(devices: Mapping[str, Mapping[str, Any]]) -> dict[int, str]:
    """Device uuid by index, for the indices exactly one device holds."""
    seen: dict[int, str | None] = {}
    for uuid, fields in devices.items():
        index = fields.get("index")
        if isinstance(index, int):
            seen[index] = None if index in seen else uuid
    return {index: uuid for index, uuid in seen.items() if uuid is not None}
