"""The one place allsmi-py calls Apple's C libraries: CoreFoundation, IOKit, IOReport, objc.

`NativeLib` lists the calls the Apple backend makes, under their C names, with pointers
turned into ints (0 is NULL) and out-parameters turned into return values. `load_native()`
loads the libraries with ctypes when it is called, never at import, so this module imports
on any OS. Tests implement the same protocol over Python data (tests/backends/apple).

Signatures follow Apple's headers for the public frameworks and, for the private
`libIOReport.dylib`, the declarations that macmon and all-smi use. Ownership follows the
CoreFoundation rule: what a *Copy*/*Create* call returns is the caller's to `CFRelease`;
what a *Get* call returns is borrowed.
"""

from __future__ import annotations

import ctypes
from ctypes import (
    POINTER,
    Structure,
    byref,
    c_bool,
    c_char_p,
    c_int,
    c_int32,
    c_int64,
    c_long,
    c_uint32,
    c_uint64,
    c_void_p,
    create_string_buffer,
)
from typing import Protocol

CF_STRING_ENCODING_UTF8 = 0x08000100
KERN_SUCCESS = 0
MAIN_PORT_DEFAULT = 0  # kIOMainPortDefault

LIBRARIES = {
    "cf": "/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation",
    "iokit": "/System/Library/Frameworks/IOKit.framework/IOKit",
    "ioreport": "/usr/lib/libIOReport.dylib",
    "system": "/usr/lib/libSystem.B.dylib",
    "objc": "/usr/lib/libobjc.A.dylib",
    # Loaded only so that objc_getClass finds NSProcessInfo.
    "foundation": "/System/Library/Frameworks/Foundation.framework/Foundation",
}


class NativeLib(Protocol):
    """The C calls the Apple backend makes, in the shape a fake can implement."""

    # CoreFoundation
    def CFStringCreateWithCString(self, text: str) -> int: ...
    def CFStringGetCString(self, string: int) -> str | None: ...
    def CFGetTypeID(self, obj: int) -> int: ...
    def CFDataGetTypeID(self) -> int: ...
    def CFDataGetLength(self, data: int) -> int: ...
    def CFDataGetBytes(self, data: int, length: int) -> bytes: ...
    def CFDictionaryGetValue(self, dictionary: int, key: int) -> int: ...
    def CFDictionaryGetCount(self, dictionary: int) -> int: ...
    def CFDictionaryCreateMutableCopy(self, dictionary: int) -> int: ...
    def CFArrayGetCount(self, array: int) -> int: ...
    def CFArrayGetValueAtIndex(self, array: int, index: int) -> int: ...
    def CFRelease(self, obj: int) -> None: ...

    # IOReport (private)
    def IOReportCopyChannelsInGroup(self, group: int, subgroup: int) -> int: ...
    def IOReportMergeChannels(self, into: int, other: int) -> None: ...
    def IOReportCreateSubscription(self, channels: int) -> tuple[int, int]: ...
    def IOReportCreateSamples(self, subscription: int, channels: int) -> int: ...
    def IOReportCreateSamplesDelta(self, previous: int, current: int) -> int: ...
    def IOReportChannelGetGroup(self, channel: int) -> int: ...
    def IOReportChannelGetSubGroup(self, channel: int) -> int: ...
    def IOReportChannelGetChannelName(self, channel: int) -> int: ...
    def IOReportChannelGetUnitLabel(self, channel: int) -> int: ...
    def IOReportSimpleGetIntegerValue(self, channel: int) -> int: ...
    def IOReportStateGetCount(self, channel: int) -> int: ...
    def IOReportStateGetNameForIndex(self, channel: int, index: int) -> int: ...
    def IOReportStateGetResidency(self, channel: int, index: int) -> int: ...

    # IOKit
    def IOServiceMatching(self, class_name: str) -> int: ...
    def IOServiceGetMatchingServices(self, matching: int) -> tuple[int, int]: ...
    def IOIteratorNext(self, iterator: int) -> int: ...
    def IORegistryEntryGetName(self, entry: int) -> str | None: ...
    def IORegistryEntryCreateCFProperty(self, entry: int, key: int) -> int: ...
    def IOObjectRelease(self, obj: int) -> int: ...
    def IOServiceOpen(self, service: int) -> tuple[int, int]: ...
    def IOServiceClose(self, connection: int) -> int: ...
    def IOConnectCallStructMethod(
        self, connection: int, selector: int, payload: bytes, output_size: int
    ) -> tuple[int, bytes]: ...

    # Mach
    def mach_host_self(self) -> int: ...
    def host_statistics64(self, host: int, flavor: int, count: int) -> tuple[int, bytes]: ...
    def host_page_size(self, host: int) -> tuple[int, int]: ...

    # Objective-C runtime
    def objc_getClass(self, name: str) -> int: ...
    def sel_registerName(self, name: str) -> int: ...
    def objc_msgSend(self, receiver: int, selector: int) -> int: ...


class _CFRange(Structure):
    _fields_ = [("location", c_long), ("length", c_long)]


def _declare(lib: ctypes.CDLL, name: str, restype: object, *argtypes: object) -> None:
    function = getattr(lib, name)
    function.restype = restype
    function.argtypes = list(argtypes)


class CtypesNative:
    """`NativeLib` over the real libraries; construct through `load_native()`."""

    def __init__(self) -> None:
        libs = {key: ctypes.CDLL(path) for key, path in LIBRARIES.items()}
        self._cf, self._iokit = libs["cf"], libs["iokit"]
        self._ior, self._sys, self._objc = libs["ioreport"], libs["system"], libs["objc"]
        cf, io, ior, sys, objc = self._cf, self._iokit, self._ior, self._sys, self._objc
        vp = c_void_p
        _declare(cf, "CFStringCreateWithCString", vp, vp, c_char_p, c_uint32)
        _declare(cf, "CFStringGetCString", c_bool, vp, c_char_p, c_long, c_uint32)
        _declare(cf, "CFGetTypeID", c_long, vp)
        _declare(cf, "CFDataGetTypeID", c_long)
        _declare(cf, "CFDataGetLength", c_long, vp)
        _declare(cf, "CFDataGetBytes", None, vp, _CFRange, c_char_p)
        _declare(cf, "CFDictionaryGetValue", vp, vp, vp)
        _declare(cf, "CFDictionaryGetCount", c_long, vp)
        _declare(cf, "CFDictionaryCreateMutableCopy", vp, vp, c_long, vp)
        _declare(cf, "CFArrayGetCount", c_long, vp)
        _declare(cf, "CFArrayGetValueAtIndex", vp, vp, c_long)
        _declare(cf, "CFRelease", None, vp)
        _declare(ior, "IOReportCopyChannelsInGroup", vp, vp, vp, c_uint64, c_uint64, c_uint64)
        _declare(ior, "IOReportMergeChannels", None, vp, vp, vp)
        _declare(ior, "IOReportCreateSubscription", vp, vp, vp, POINTER(vp), c_uint64, vp)
        _declare(ior, "IOReportCreateSamples", vp, vp, vp, vp)
        _declare(ior, "IOReportCreateSamplesDelta", vp, vp, vp, vp)
        for getter in ("Group", "SubGroup", "ChannelName", "UnitLabel"):
            _declare(ior, f"IOReportChannelGet{getter}", vp, vp)
        _declare(ior, "IOReportSimpleGetIntegerValue", c_int64, vp, c_int32)
        _declare(ior, "IOReportStateGetCount", c_int32, vp)
        _declare(ior, "IOReportStateGetNameForIndex", vp, vp, c_int32)
        _declare(ior, "IOReportStateGetResidency", c_int64, vp, c_int32)
        _declare(io, "IOServiceMatching", vp, c_char_p)
        _declare(io, "IOServiceGetMatchingServices", c_int, c_uint32, vp, POINTER(c_uint32))
        _declare(io, "IOIteratorNext", c_uint32, c_uint32)
        _declare(io, "IORegistryEntryGetName", c_int, c_uint32, c_char_p)
        _declare(io, "IORegistryEntryCreateCFProperty", vp, c_uint32, vp, vp, c_uint32)
        _declare(io, "IOObjectRelease", c_int, c_uint32)
        _declare(io, "IOServiceOpen", c_int, c_uint32, c_uint32, c_uint32, POINTER(c_uint32))
        _declare(io, "IOServiceClose", c_int, c_uint32)
        _declare(io, "IOConnectCallStructMethod", c_int,
                 c_uint32, c_uint32, c_char_p, ctypes.c_size_t, c_char_p,
                 POINTER(ctypes.c_size_t))
        _declare(sys, "mach_host_self", c_uint32)
        _declare(sys, "host_statistics64", c_int, c_uint32, c_int, c_char_p, POINTER(c_uint32))
        _declare(sys, "host_page_size", c_int, c_uint32, POINTER(ctypes.c_size_t))
        _declare(objc, "objc_getClass", vp, c_char_p)
        _declare(objc, "sel_registerName", vp, c_char_p)
        # arm64 passes variadic arguments on the stack, so objc_msgSend must be called
        # with its exact prototype: (id, SEL) -> id/NSInteger, both returned in x0.
        _declare(objc, "objc_msgSend", vp, vp, vp)
        # mach_task_self() is a macro over this global in <mach/mach_init.h>.
        self._task = c_uint32.in_dll(sys, "mach_task_self_").value

    # -- CoreFoundation ------------------------------------------------------------
    def CFStringCreateWithCString(self, text: str) -> int:
        return int(self._cf.CFStringCreateWithCString(
            None, text.encode(), CF_STRING_ENCODING_UTF8) or 0)

    def CFStringGetCString(self, string: int) -> str | None:
        if not string:
            return None
        buffer = create_string_buffer(512)
        if not self._cf.CFStringGetCString(string, buffer, 512, CF_STRING_ENCODING_UTF8):
            return None
        return buffer.value.decode("utf-8", "replace")

    def CFGetTypeID(self, obj: int) -> int:
        return int(self._cf.CFGetTypeID(obj))

    def CFDataGetTypeID(self) -> int:
        return int(self._cf.CFDataGetTypeID())

    def CFDataGetLength(self, data: int) -> int:
        return int(self._cf.CFDataGetLength(data))

    def CFDataGetBytes(self, data: int, length: int) -> bytes:
        buffer = create_string_buffer(max(length, 1))
        self._cf.CFDataGetBytes(data, _CFRange(0, length), buffer)
        return buffer.raw[:length]

    def CFDictionaryGetValue(self, dictionary: int, key: int) -> int:
        return int(self._cf.CFDictionaryGetValue(dictionary, key) or 0)

    def CFDictionaryGetCount(self, dictionary: int) -> int:
        return int(self._cf.CFDictionaryGetCount(dictionary))

    def CFDictionaryCreateMutableCopy(self, dictionary: int) -> int:
        return int(self._cf.CFDictionaryCreateMutableCopy(None, 0, dictionary) or 0)

    def CFArrayGetCount(self, array: int) -> int:
        return int(self._cf.CFArrayGetCount(array))

    def CFArrayGetValueAtIndex(self, array: int, index: int) -> int:
        return int(self._cf.CFArrayGetValueAtIndex(array, index) or 0)

    def CFRelease(self, obj: int) -> None:
        if obj:
            self._cf.CFRelease(obj)

    # -- IOReport -------------------------------------------------------------------
    def IOReportCopyChannelsInGroup(self, group: int, subgroup: int) -> int:
        return int(self._ior.IOReportCopyChannelsInGroup(group or None, subgroup or None,
                                                         0, 0, 0) or 0)

    def IOReportMergeChannels(self, into: int, other: int) -> None:
        self._ior.IOReportMergeChannels(into, other, None)

    def IOReportCreateSubscription(self, channels: int) -> tuple[int, int]:
        subscribed = c_void_p()
        subscription = self._ior.IOReportCreateSubscription(
            None, channels, byref(subscribed), 0, None)
        return int(subscription or 0), int(subscribed.value or 0)

    def IOReportCreateSamples(self, subscription: int, channels: int) -> int:
        return int(self._ior.IOReportCreateSamples(subscription, channels, None) or 0)

    def IOReportCreateSamplesDelta(self, previous: int, current: int) -> int:
        return int(self._ior.IOReportCreateSamplesDelta(previous, current, None) or 0)

    def IOReportChannelGetGroup(self, channel: int) -> int:
        return int(self._ior.IOReportChannelGetGroup(channel) or 0)

    def IOReportChannelGetSubGroup(self, channel: int) -> int:
        return int(self._ior.IOReportChannelGetSubGroup(channel) or 0)

    def IOReportChannelGetChannelName(self, channel: int) -> int:
        return int(self._ior.IOReportChannelGetChannelName(channel) or 0)

    def IOReportChannelGetUnitLabel(self, channel: int) -> int:
        return int(self._ior.IOReportChannelGetUnitLabel(channel) or 0)

    def IOReportSimpleGetIntegerValue(self, channel: int) -> int:
        return int(self._ior.IOReportSimpleGetIntegerValue(channel, 0))

    def IOReportStateGetCount(self, channel: int) -> int:
        return int(self._ior.IOReportStateGetCount(channel))

    def IOReportStateGetNameForIndex(self, channel: int, index: int) -> int:
        return int(self._ior.IOReportStateGetNameForIndex(channel, index) or 0)

    def IOReportStateGetResidency(self, channel: int, index: int) -> int:
        return int(self._ior.IOReportStateGetResidency(channel, index))

    # -- IOKit ----------------------------------------------------------------------
    def IOServiceMatching(self, class_name: str) -> int:
        return int(self._iokit.IOServiceMatching(class_name.encode()) or 0)

    def IOServiceGetMatchingServices(self, matching: int) -> tuple[int, int]:
        iterator = c_uint32(0)
        kr = self._iokit.IOServiceGetMatchingServices(MAIN_PORT_DEFAULT, matching,
                                                      byref(iterator))
        return int(kr), int(iterator.value)

    def IOIteratorNext(self, iterator: int) -> int:
        return int(self._iokit.IOIteratorNext(iterator))

    def IORegistryEntryGetName(self, entry: int) -> str | None:
        name = create_string_buffer(128)  # io_name_t
        if self._iokit.IORegistryEntryGetName(entry, name) != KERN_SUCCESS:
            return None
        return name.value.decode("utf-8", "replace")

    def IORegistryEntryCreateCFProperty(self, entry: int, key: int) -> int:
        return int(self._iokit.IORegistryEntryCreateCFProperty(entry, key, None, 0) or 0)

    def IOObjectRelease(self, obj: int) -> int:
        return int(self._iokit.IOObjectRelease(obj))

    def IOServiceOpen(self, service: int) -> tuple[int, int]:
        connection = c_uint32(0)
        kr = self._iokit.IOServiceOpen(service, self._task, 0, byref(connection))
        return int(kr), int(connection.value)

    def IOServiceClose(self, connection: int) -> int:
        return int(self._iokit.IOServiceClose(connection))

    def IOConnectCallStructMethod(
        self, connection: int, selector: int, payload: bytes, output_size: int
    ) -> tuple[int, bytes]:
        output = create_string_buffer(output_size)
        size = ctypes.c_size_t(output_size)
        kr = self._iokit.IOConnectCallStructMethod(
            connection, selector, payload, len(payload), output, byref(size))
        return int(kr), output.raw[: size.value]

    # -- Mach -----------------------------------------------------------------------
    def mach_host_self(self) -> int:
        return int(self._sys.mach_host_self())

    def host_statistics64(self, host: int, flavor: int, count: int) -> tuple[int, bytes]:
        buffer = create_string_buffer(4 * count)  # count is in integer_t units
        size = c_uint32(count)
        kr = self._sys.host_statistics64(host, flavor, buffer, byref(size))
        return int(kr), buffer.raw[: 4 * size.value]

    def host_page_size(self, host: int) -> tuple[int, int]:
        size = ctypes.c_size_t(0)
        kr = self._sys.host_page_size(host, byref(size))
        return int(kr), int(size.value)

    # -- Objective-C runtime --------------------------------------------------------
    def objc_getClass(self, name: str) -> int:
        return int(self._objc.objc_getClass(name.encode()) or 0)

    def sel_registerName(self, name: str) -> int:
        return int(self._objc.sel_registerName(name.encode()) or 0)

    def objc_msgSend(self, receiver: int, selector: int) -> int:
        return int(self._objc.objc_msgSend(receiver, selector) or 0)


def load_native() -> NativeLib:
    """Load the libraries; OSError when one is missing (any OS but macOS, or a changed macOS)."""
    return CtypesNative()
