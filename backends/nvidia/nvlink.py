"""NvLink: which links a GPU has, which are up, what each one reaches and its line rate.

all-smi (src/device/readers/nvidia_hardware.rs) probes links 0..17 every cycle and reports
the active ones with their remote device type; we do the same, and also keep the links that
are down, so that a link that drops shows as down rather than vanishing.
"""

from __future__ import annotations

from collections.abc import Hashable

from allsmi_py.model import NvLinkReading
from backends.nvidia.nvml import DeviceCalls

MAX_LINKS = 18  # NVLINK links per GPU on every generation so far (Hopper: 18), all-smi's bound
# nvmlIntNvLinkDeviceType_t; 0xFF and anything newer read as "unknown"
REMOTE_TYPES = {0: "gpu", 1: "ibmnpu", 2: "switch"}
# NVML_FI_DEV_NVLINK_SPEED_MBPS_COMMON: the one line rate of every link, read with the tick's
# other field values (device.FieldValues)
NVLINK_SPEED_FIELD = 90
_MAX_SPEED_MB_S = 10_000_000  # 10 TB/s per link: no link is that fast; a larger value is junk
# NVML_FI_DEV_NVLINK_THROUGHPUT_DATA_TX / _RX: payload KiB sent / received over all links
# since the driver loaded (a counter), read with the tick's other field values
THROUGHPUT_FIELDS = (138, 139)
_MAX_RATE_BYTES_S = 1e13  # 10 TB/s over all links: more is a counter that jumped


class NvLinkTraffic:
    """Bytes per second over every NvLink of a GPU, from NVML's KiB counters tick to tick."""

    def __init__(self) -> None:
        self._last: dict[Hashable, tuple[float, float, int]] = {}

    def rates(self, key: Hashable, tx_kib: float | None, rx_kib: float | None,
              sampled_at_us: int | None) -> tuple[float | None, float | None]:
        """(TX, RX) bytes/s since the last tick; None on the first, a reset or a bad clock."""
        if tx_kib is None or rx_kib is None or sampled_at_us is None:
            self._last.pop(key, None)
            return None, None
        before = self._last.get(key)
        self._last[key] = (tx_kib, rx_kib, sampled_at_us)
        if before is None or sampled_at_us <= before[2]:
            return None, None
        seconds = (sampled_at_us - before[2]) / 1e6
        out = []
        for now, then in ((tx_kib, before[0]), (rx_kib, before[1])):
            rate = (now - then) * 1024.0 / seconds
            out.append(round(rate, 1) if 0.0 <= rate <= _MAX_RATE_BYTES_S else None)
        return out[0], out[1]


def read_nvlinks(calls: DeviceCalls, speed_mb_s: float | None) -> tuple[NvLinkReading, ...]:
    """Every NvLink of the GPU, up or down; () for a GPU without NvLink (or in MIG mode).

    `speed_mb_s` is NVLINK_SPEED_FIELD's value this tick, None when the GPU does not say.
    """
    state_fn = "nvmlDeviceGetNvLinkState"
    links: list[NvLinkReading] = []
    speed = None
    if speed_mb_s is not None and 0 < speed_mb_s < _MAX_SPEED_MB_S:
        speed = int(speed_mb_s)
    for link in range(MAX_LINKS):
        state = calls.get(state_fn, link, past_end_ok=True)
        if state is None:
            if calls.session.knows_unsupported(calls.key, state_fn, link):
                break  # past the last link, or no NvLink at all: the same every tick
            continue  # this link failed this tick (a problem is noted): look at the next
        active = state == calls.session.nvml.NVML_FEATURE_ENABLED
        remote = None
        if active:
            code = calls.static("nvmlDeviceGetNvLinkRemoteDeviceType", link)
            remote = None if code is None else REMOTE_TYPES.get(int(code), "unknown")
        links.append(NvLinkReading(link, active, remote, speed if active else None))
    return tuple(links)
