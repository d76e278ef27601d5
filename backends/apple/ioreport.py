"""IOReport subscription and delta sampling, and the pmgr frequency tables from IORegistry.

The subscription covers `Energy Model`, `CPU Stats / CPU Core Performance States` and
`GPU Stats / GPU Performance States` (the groups all-smi and macmon read). Every channel
is a cumulative counter, so the delta between the previous sample and a new one is the
activity in between: no sleeping, one `IOReportCreateSamples` a tick. A sample dictionary
holds the channels as a CFArray under "IOReportChannels".
"""

from __future__ import annotations

import time
from collections.abc import Callable

from backends.apple.native_lib import KERN_SUCCESS, NativeLib
from backends.apple.parse import CPU_STATES, ENERGY_GROUP, GPU_STATES, TABLE_KEYS, IOReportChannel

MIN_WINDOW_S = 0.05
"""Shorter windows are mostly sampling jitter (all-smi refuses them too)."""

GROUPS: tuple[tuple[str, str | None], ...] = ((ENERGY_GROUP, None), CPU_STATES, GPU_STATES)
_WANTED = {ENERGY_GROUP, CPU_STATES[0], GPU_STATES[0]}


class IOReportError(Exception):
    """An IOReport call returned NULL; the message names it."""


class IOReportSampler:
    """One IOReport subscription; `delta()` returns the channels since the previous call."""

    def __init__(self, native: NativeLib, clock: Callable[[], float] = time.monotonic) -> None:
        self._native = native
        self._clock = clock
        self._channels = 0
        self._subscription = 0
        self._subscribed = 0
        self._previous = 0
        self._previous_at = 0.0
        self._key = 0

    def open(self) -> None:
        """Subscribe and take the baseline sample; IOReportError when that fails."""
        native = self._native
        try:
            merged = 0
            for group, subgroup in GROUPS:
                found = self._copy_group(group, subgroup)
                if not found:
                    if group == ENERGY_GROUP:
                        raise IOReportError("IOReportCopyChannelsInGroup(Energy Model) "
                                            "returned NULL")
                    continue
                if merged:
                    native.IOReportMergeChannels(merged, found)
                    native.CFRelease(found)
                else:
                    merged = found
            self._channels = native.CFDictionaryCreateMutableCopy(merged)
            native.CFRelease(merged)
            if not self._channels:
                raise IOReportError("CFDictionaryCreateMutableCopy returned NULL")
            self._subscription, self._subscribed = native.IOReportCreateSubscription(
                self._channels)
            if not self._subscription:
                raise IOReportError("IOReportCreateSubscription returned NULL")
            self._key = native.CFStringCreateWithCString("IOReportChannels")
            self._previous = self._sample()
            self._previous_at = self._clock()
        except IOReportError:
            self.close()
            raise

    def _copy_group(self, group: str, subgroup: str | None) -> int:
        native = self._native
        group_ref = native.CFStringCreateWithCString(group)
        subgroup_ref = native.CFStringCreateWithCString(subgroup) if subgroup else 0
        try:
            return native.IOReportCopyChannelsInGroup(group_ref, subgroup_ref)
        finally:
            native.CFRelease(group_ref)
            if subgroup_ref:  # CFRelease(NULL) crashes
                native.CFRelease(subgroup_ref)

    def _sample(self) -> int:
        sample = self._native.IOReportCreateSamples(self._subscription, self._channels)
        if not sample:
            raise IOReportError("IOReportCreateSamples returned NULL")
        return sample

    def window_s(self) -> float:
        """Seconds since the baseline sample."""
        return self._clock() - self._previous_at

    def delta(self) -> tuple[list[IOReportChannel], float] | None:
        """(channels, elapsed s) since the previous sample; None when under MIN_WINDOW_S.

        A refused window keeps its baseline, so a fast caller still gets a delta later.
        IOReportError when a call returns NULL; the last good baseline is kept.
        """
        if not self._subscription:
            raise IOReportError("IOReport is not subscribed")
        now = self._clock()
        elapsed = now - self._previous_at
        if elapsed < MIN_WINDOW_S:
            return None
        current = self._sample()
        delta = self._native.IOReportCreateSamplesDelta(self._previous, current)
        self._native.CFRelease(self._previous)
        self._previous, self._previous_at = current, now
        if not delta:
            raise IOReportError("IOReportCreateSamplesDelta returned NULL")
        try:
            return self._records(delta), elapsed
        finally:
            self._native.CFRelease(delta)

    def _records(self, delta: int) -> list[IOReportChannel]:
        native = self._native
        array = native.CFDictionaryGetValue(delta, self._key)
        if not array:
            return []
        records = []
        for index in range(native.CFArrayGetCount(array)):
            item = native.CFArrayGetValueAtIndex(array, index)
            if not item:
                continue
            group = native.CFStringGetCString(native.IOReportChannelGetGroup(item)) or ""
            if group not in _WANTED:
                continue
            subgroup = native.CFStringGetCString(native.IOReportChannelGetSubGroup(item))
            name = native.CFStringGetCString(native.IOReportChannelGetChannelName(item))
            unit = native.CFStringGetCString(native.IOReportChannelGetUnitLabel(item))
            value: int | None = None
            states: tuple[tuple[str, int], ...] = ()
            if group == ENERGY_GROUP:
                value = native.IOReportSimpleGetIntegerValue(item)
            else:
                states = tuple(
                    (native.CFStringGetCString(native.IOReportStateGetNameForIndex(item, i))
                     or "", native.IOReportStateGetResidency(item, i))
                    for i in range(native.IOReportStateGetCount(item))
                )
            record = IOReportChannel(group, subgroup or "", name or "", (unit or "").strip(),
                                     value=value, states=states)
            records.append(record)
        return records

    def close(self) -> None:
        """Release the samples, channels and subscription. Idempotent."""
        native = self._native
        for attribute in ("_previous", "_key", "_subscribed", "_channels", "_subscription"):
            handle = getattr(self, attribute)
            setattr(self, attribute, 0)
            if handle:
                native.CFRelease(handle)


def read_pmgr_properties(native: NativeLib) -> dict[str, bytes]:
    """The `voltage-states*` data of the IORegistry `AppleARMIODevice` named pmgr (or clpc)."""
    keys = sorted({key for keys in TABLE_KEYS.values() for key in keys})
    matching = native.IOServiceMatching("AppleARMIODevice")
    if not matching:
        return {}
    kr, iterator = native.IOServiceGetMatchingServices(matching)  # consumes `matching`
    if kr != KERN_SUCCESS or not iterator:
        return {}
    found: dict[str, bytes] = {}
    try:
        while not found and (entry := native.IOIteratorNext(iterator)):
            try:
                if native.IORegistryEntryGetName(entry) in ("pmgr", "clpc"):
                    found = {key: data for key in keys
                             if (data := _data_property(native, entry, key))}
            finally:
                native.IOObjectRelease(entry)
    finally:
        native.IOObjectRelease(iterator)
    return found


def _data_property(native: NativeLib, entry: int, key: str) -> bytes:
    key_ref = native.CFStringCreateWithCString(key)
    try:
        value = native.IORegistryEntryCreateCFProperty(entry, key_ref)
    finally:
        native.CFRelease(key_ref)
    if not value:
        return b""
    try:
        if native.CFGetTypeID(value) != native.CFDataGetTypeID():
            return b""
        return native.CFDataGetBytes(value, native.CFDataGetLength(value))
    finally:
        native.CFRelease(value)
