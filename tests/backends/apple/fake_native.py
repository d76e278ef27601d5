"""A fake of `backends.apple.native_lib.NativeLib`: the same C-named calls over Python data.

CF objects are opaque int handles. What a Create/Copy call returns is counted until
`CFRelease`; releasing anything else (a borrowed Get result, a double release) fails the
test at once, and `live_cf()` / `live_io()` say what is still held. IOReport samples are
snapshots of cumulative channel counters and `IOReportCreateSamplesDelta` subtracts them.
The SMC answers `IOConnectCallStructMethod` through a ctypes mirror of the C SMCKeyData
structure, kept apart from the production `struct` layout so that each checks the other.
Any call named in `fail` returns NULL or an error code.
"""

from __future__ import annotations

import ctypes
from collections import Counter
from dataclasses import dataclass, field

KIO_RETURN_BAD_ARGUMENT = 0xE00002C2
SMC_KEY_NOT_FOUND = 0x84
TYPE_IDS: dict[type, int] = {str: 7, dict: 18, list: 19, bytes: 20}


class _Vers(ctypes.Structure):
    _fields_ = [("major", ctypes.c_uint8), ("minor", ctypes.c_uint8),
                ("build", ctypes.c_uint8), ("reserved", ctypes.c_uint8),
                ("release", ctypes.c_uint16)]


class _PLimitData(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint16), ("length", ctypes.c_uint16),
                ("cpuPLimit", ctypes.c_uint32), ("gpuPLimit", ctypes.c_uint32),
                ("memPLimit", ctypes.c_uint32)]


class _KeyInfo(ctypes.Structure):
    _fields_ = [("dataSize", ctypes.c_uint32), ("dataType", ctypes.c_uint32),
                ("dataAttributes", ctypes.c_uint8)]


class SMCKeyData(ctypes.Structure):
    """SMCKeyData as C lays it out (natural alignment)."""

    _fields_ = [("key", ctypes.c_uint32), ("vers", _Vers), ("pLimitData", _PLimitData),
                ("keyInfo", _KeyInfo), ("result", ctypes.c_uint8), ("status", ctypes.c_uint8),
                ("data8", ctypes.c_uint8), ("data32", ctypes.c_uint32),
                ("bytes", ctypes.c_uint8 * 32)]


def code(name: str) -> int:
    return int.from_bytes(name.encode("latin-1"), "big")


@dataclass
class Channel:
    """One IOReport channel of the fake machine, with its cumulative counters."""

    group: str
    subgroup: str
    name: str
    unit: str = ""
    value: int = 0
    states: list[tuple[str, int]] = field(default_factory=list)  # (state, residency)

    def add(self, value: int = 0, residencies: tuple[int, ...] = ()) -> None:
        """Count `value` more energy and `residencies` more time in each state."""
        self.value += value
        if residencies:
            self.states = [(name, old + more) for (name, old), more
                           in zip(self.states, residencies, strict=True)]


@dataclass(frozen=True)
class ChannelSample:
    group: str
    subgroup: str
    name: str
    unit: str
    value: int
    states: tuple[tuple[str, int], ...]


@dataclass
class _Subscription:
    channels: list[Channel]


@dataclass
class _Iterator:
    entries: list[tuple[str, dict[str, bytes]]]
    position: int = 0


class FakeNative:
    """The fake library; tests fill `channels`, `registry`, `smc`, `vm_statistics`."""

    def __init__(self) -> None:
        self.channels: list[Channel] = []
        self.registry: dict[str, list[tuple[str, dict[str, bytes]]]] = {}
        self.smc: dict[str, tuple[str, bytes]] = {}  # key -> (type, bytes), in table order
        self.vm_statistics = b""
        self.page_size = 16384
        self.thermal_state = 0
        self.fail: set[str] = set()
        self.smc_calls: Counter[int] = Counter()  # by data8 command
        self.released = 0
        self._objects: dict[int, object] = {}
        self._owned: dict[int, int] = {}
        self._borrowed: dict[int, int] = {}
        self._io: dict[int, object] = {}
        self._next = 0x1000

    # -- bookkeeping ----------------------------------------------------------------
    def _handle(self) -> int:
        self._next += 16
        return self._next

    def _new(self, value: object) -> int:
        handle = self._handle()
        self._objects[handle] = value
        self._owned[handle] = 1
        return handle

    def _borrow(self, value: object) -> int:
        if id(value) not in self._borrowed:
            handle = self._handle()
            self._objects[handle] = value
            self._borrowed[id(value)] = handle
        return self._borrowed[id(value)]

    def _new_io(self, value: object) -> int:
        handle = self._handle()
        self._io[handle] = value
        return handle

    def live_cf(self) -> int:
        return len(self._owned)

    def live_io(self) -> int:
        return len(self._io)

    def value(self, handle: int) -> object:
        return self._objects[handle]

    # -- CoreFoundation -------------------------------------------------------------
    def CFStringCreateWithCString(self, text: str) -> int:
        return self._new(text)

    def CFStringGetCString(self, string: int) -> str | None:
        value = self._objects.get(string) if string else None
        assert value is None or isinstance(value, str)
        return value

    def CFGetTypeID(self, obj: int) -> int:
        return TYPE_IDS.get(type(self._objects[obj]), 1)

    def CFDataGetTypeID(self) -> int:
        return TYPE_IDS[bytes]

    def CFDataGetLength(self, data: int) -> int:
        value = self._objects[data]
        assert isinstance(value, bytes)
        return len(value)

    def CFDataGetBytes(self, data: int, length: int) -> bytes:
        value = self._objects[data]
        assert isinstance(value, bytes)
        return value[:length]

    def CFDictionaryGetValue(self, dictionary: int, key: int) -> int:
        found = self._dict(dictionary).get(str(self._objects[key]))
        return self._borrow(found) if found is not None else 0

    def CFDictionaryGetCount(self, dictionary: int) -> int:
        return len(self._dict(dictionary))

    def CFDictionaryCreateMutableCopy(self, dictionary: int) -> int:
        if "CFDictionaryCreateMutableCopy" in self.fail:
            return 0
        return self._new({key: list(value) if isinstance(value, list) else value
                          for key, value in self._dict(dictionary).items()})

    def CFArrayGetCount(self, array: int) -> int:
        return len(self._list(array))

    def CFArrayGetValueAtIndex(self, array: int, index: int) -> int:
        return self._borrow(self._list(array)[index])

    def CFRelease(self, obj: int) -> None:
        assert obj in self._owned, f"CFRelease({obj:#x}) of an object the caller does not own"
        self._owned[obj] -= 1
        if not self._owned[obj]:
            del self._owned[obj]
        self.released += 1

    def _dict(self, handle: int) -> dict[str, object]:
        value = self._objects[handle]
        assert isinstance(value, dict)
        return value

    def _list(self, handle: int) -> list[object]:
        value = self._objects[handle]
        assert isinstance(value, list)
        return value

    # -- IOReport -------------------------------------------------------------------
    def IOReportCopyChannelsInGroup(self, group: int, subgroup: int) -> int:
        wanted = self._objects[group]
        sub = self._objects[subgroup] if subgroup else None
        found = [ch for ch in self.channels
                 if ch.group == wanted and (sub is None or ch.subgroup == sub)]
        if not found or f"IOReportCopyChannelsInGroup({wanted})" in self.fail:
            return 0
        return self._new({"IOReportChannels": found})

    def IOReportMergeChannels(self, into: int, other: int) -> None:
        merged = self._dict(into)["IOReportChannels"]
        assert isinstance(merged, list)
        more = self._dict(other)["IOReportChannels"]
        assert isinstance(more, list)
        merged.extend(more)

    def IOReportCreateSubscription(self, channels: int) -> tuple[int, int]:
        if "IOReportCreateSubscription" in self.fail:
            return 0, 0
        wanted = self._dict(channels)["IOReportChannels"]
        assert isinstance(wanted, list)
        return (self._new(_Subscription(list(wanted))),
                self._new({"IOReportChannels": list(wanted)}))

    def IOReportCreateSamples(self, subscription: int, channels: int) -> int:
        if "IOReportCreateSamples" in self.fail:
            return 0
        subscribed = self._objects[subscription]
        assert isinstance(subscribed, _Subscription)
        return self._new({"IOReportChannels": [
            ChannelSample(ch.group, ch.subgroup, ch.name, ch.unit, ch.value,
                          tuple(ch.states))
            for ch in subscribed.channels
        ]})

    def IOReportCreateSamplesDelta(self, previous: int, current: int) -> int:
        if "IOReportCreateSamplesDelta" in self.fail:
            return 0
        before, after = self._dict(previous)["IOReportChannels"], \
            self._dict(current)["IOReportChannels"]
        assert isinstance(before, list) and isinstance(after, list)
        return self._new({"IOReportChannels": [
            ChannelSample(a.group, a.subgroup, a.name, a.unit, a.value - b.value,
                          tuple((name, res - old) for (name, res), (_, old)
                                in zip(a.states, b.states, strict=True)))
            for b, a in zip(before, after, strict=True)
        ]})

    def _channel(self, handle: int) -> ChannelSample:
        value = self._objects[handle]
        assert isinstance(value, ChannelSample)
        return value

    def IOReportChannelGetGroup(self, channel: int) -> int:
        return self._borrow(self._channel(channel).group)

    def IOReportChannelGetSubGroup(self, channel: int) -> int:
        return self._borrow(self._channel(channel).subgroup)

    def IOReportChannelGetChannelName(self, channel: int) -> int:
        return self._borrow(self._channel(channel).name)

    def IOReportChannelGetUnitLabel(self, channel: int) -> int:
        return self._borrow(self._channel(channel).unit)

    def IOReportSimpleGetIntegerValue(self, channel: int) -> int:
        return self._channel(channel).value

    def IOReportStateGetCount(self, channel: int) -> int:
        return len(self._channel(channel).states)

    def IOReportStateGetNameForIndex(self, channel: int, index: int) -> int:
        return self._borrow(self._channel(channel).states[index][0])

    def IOReportStateGetResidency(self, channel: int, index: int) -> int:
        return self._channel(channel).states[index][1]

    # -- IOKit ----------------------------------------------------------------------
    def IOServiceMatching(self, class_name: str) -> int:
        return self._new({"IOProviderClass": class_name})

    def IOServiceGetMatchingServices(self, matching: int) -> tuple[int, int]:
        wanted = str(self._dict(matching)["IOProviderClass"])
        del self._owned[matching]  # the call consumes one reference
        entries = self.registry.get(wanted, [])
        if not entries:
            return 0, 0
        return 0, self._new_io(_Iterator(list(entries)))

    def IOIteratorNext(self, iterator: int) -> int:
        it = self._io[iterator]
        assert isinstance(it, _Iterator)
        if it.position >= len(it.entries):
            return 0
        it.position += 1
        return self._new_io(it.entries[it.position - 1])

    def IORegistryEntryGetName(self, entry: int) -> str | None:
        name, _ = self._entry(entry)
        return name

    def IORegistryEntryCreateCFProperty(self, entry: int, key: int) -> int:
        _, properties = self._entry(entry)
        found = properties.get(str(self._objects[key]))
        return self._new(found) if found is not None else 0

    def _entry(self, entry: int) -> tuple[str, dict[str, bytes]]:
        value = self._io[entry]
        assert isinstance(value, tuple)
        return value

    def IOObjectRelease(self, obj: int) -> int:
        assert obj in self._io, f"IOObjectRelease({obj:#x}) of an object not held"
        del self._io[obj]
        return 0

    def IOServiceOpen(self, service: int) -> tuple[int, int]:
        name, _ = self._entry(service)
        if "IOServiceOpen" in self.fail:
            return KIO_RETURN_BAD_ARGUMENT, 0
        return 0, self._new_io(("connection", name))

    def IOServiceClose(self, connection: int) -> int:
        return self.IOObjectRelease(connection)

    def IOConnectCallStructMethod(
        self, connection: int, selector: int, payload: bytes, output_size: int
    ) -> tuple[int, bytes]:
        assert self._io[connection] == ("connection", "AppleSMCKeysEndpoint")
        if selector != 2 or len(payload) != ctypes.sizeof(SMCKeyData) \
                or output_size != ctypes.sizeof(SMCKeyData):
            return KIO_RETURN_BAD_ARGUMENT, b""
        request = SMCKeyData.from_buffer_copy(payload)
        reply = SMCKeyData()
        self.smc_calls[request.data8] += 1
        names = list(self.smc)
        key = request.key.to_bytes(4, "big").decode("latin-1")
        if request.data8 == 8:  # key at index
            if request.data32 < len(names):
                reply.key = code(names[request.data32])
            else:
                reply.result = SMC_KEY_NOT_FOUND
        elif key not in self.smc:
            reply.result = SMC_KEY_NOT_FOUND
        elif request.data8 == 9:  # key info
            data_type, data = self.smc[key]
            reply.keyInfo.dataSize, reply.keyInfo.dataType = len(data), code(data_type)
        elif request.data8 == 5:  # read bytes
            data_type, data = self.smc[key]
            assert request.keyInfo.dataSize == len(data), "read without the key's size"
            reply.key = request.key
            reply.keyInfo.dataSize = len(data)
            ctypes.memmove(reply.bytes, data, len(data))
        else:
            return KIO_RETURN_BAD_ARGUMENT, b""
        return 0, bytes(reply)

    # -- Mach -----------------------------------------------------------------------
    def mach_host_self(self) -> int:
        return 0x103

    def host_statistics64(self, host: int, flavor: int, count: int) -> tuple[int, bytes]:
        assert (host, flavor, count) == (0x103, 4, 38)  # HOST_VM_INFO64, its COUNT
        return (5, b"") if "host_statistics64" in self.fail else (0, self.vm_statistics)

    def host_page_size(self, host: int) -> tuple[int, int]:
        return 0, self.page_size

    # -- Objective-C runtime --------------------------------------------------------
    _CLASS, _INSTANCE = 0x5001, 0x7001
    _SELECTORS = {"processInfo": 0x6001, "thermalState": 0x6002}

    def objc_getClass(self, name: str) -> int:
        return self._CLASS if name == "NSProcessInfo" and "objc" not in self.fail else 0

    def sel_registerName(self, name: str) -> int:
        return self._SELECTORS.get(name, 0x6FFF)

    def objc_msgSend(self, receiver: int, selector: int) -> int:
        if (receiver, selector) == (self._CLASS, self._SELECTORS["processInfo"]):
            return self._INSTANCE
        assert (receiver, selector) == (self._INSTANCE, self._SELECTORS["thermalState"])
        return self.thermal_state
