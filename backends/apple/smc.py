"""The System Management Controller (AppleSMC user client): temperatures and system power.

One call, `IOConnectCallStructMethod(connection, 2, SMCKeyData in, SMCKeyData out)`, does
everything; the `data8` command byte says what: 9 reads a key's size and type, 5 reads its
bytes, 8 returns the key at an index (`data32`). `#KEY` holds the key count. The layout of
SMCKeyData (80 bytes on arm64 and x86-64) and the commands are the ones macmon, all-smi
and the older smcFanControl-style tools use; no root is needed to read.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from backends.apple.native_lib import KERN_SUCCESS, NativeLib
from backends.apple.parse import decode_smc, mean_temperature_c, temperature_kind

KERNEL_INDEX_SMC = 2
READ_BYTES, READ_INDEX, READ_KEY_INFO = 5, 8, 9
RESULT_OK = 0

KEY_DATA = struct.Struct("<I4BH2x2H3I2IB3x3BxI32s")
"""SMCKeyData: key; vers {major, minor, build, reserved u8, release u16}; pLimitData
{version, length u16, cpu, gpu, mem u32}; keyInfo {dataSize, dataType u32, dataAttributes
u8}; result, status, data8 u8; data32 u32; bytes[32]. Natural C alignment, little-endian."""

_KEY, _SIZE, _TYPE, _RESULT, _BYTES = 0, 11, 12, 14, 18
_TEMPERATURE_SECOND = frozenset("pegCG")


class SMCError(Exception):
    """The SMC could not be opened."""


class Reply(NamedTuple):
    """The fields of an SMCKeyData output that a read uses."""

    key: int
    size: int
    data_type: int
    data: bytes


class KeyInfo(NamedTuple):
    """Size in bytes and 4-character type of one SMC key."""

    size: int
    data_type: str


def fourcc(name: str) -> int:
    """The 32-bit code of a 4-character SMC key or type (big-endian bytes)."""
    return int.from_bytes(name.encode("latin-1"), "big")


def fourcc_name(code: int) -> str:
    """The 4 characters of a 32-bit SMC code."""
    return code.to_bytes(4, "big").decode("latin-1")


def pack_key_data(key: int = 0, command: int = 0, index: int = 0,
                  size: int = 0, data_type: int = 0) -> bytes:
    """One SMCKeyData input structure."""
    return KEY_DATA.pack(key, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, size, data_type, 0,
                         0, 0, command, index, b"")


class SMC:
    """An open connection to AppleSMC; every read returns None when the key does not answer."""

    def __init__(self, native: NativeLib) -> None:
        self._native = native
        self._connection = 0
        self._info: dict[str, KeyInfo | None] = {}
        self.calls = 0  # IOConnectCallStructMethod round trips, for the discovery cost

    def open(self) -> None:
        """Open the user client; SMCError with the reason when that fails."""
        native = self._native
        matching = native.IOServiceMatching("AppleSMC")
        kr, iterator = native.IOServiceGetMatchingServices(matching) if matching else (-1, 0)
        if kr != KERN_SUCCESS or not iterator:
            raise SMCError("no AppleSMC service in the IORegistry")
        service = 0
        try:
            while entry := native.IOIteratorNext(iterator):
                # Apple Silicon lists several AppleSMC services; macmon opens this one.
                if not service or native.IORegistryEntryGetName(entry) == "AppleSMCKeysEndpoint":
                    if service:
                        native.IOObjectRelease(service)
                    service = entry
                else:
                    native.IOObjectRelease(entry)
        finally:
            native.IOObjectRelease(iterator)
        if not service:
            raise SMCError("no AppleSMC service in the IORegistry")
        kr, connection = native.IOServiceOpen(service)
        native.IOObjectRelease(service)
        if kr != KERN_SUCCESS or not connection:
            raise SMCError(f"IOServiceOpen(AppleSMC) failed with {kr:#x}")
        self._connection = connection

    def _call(self, payload: bytes) -> Reply | None:
        if not self._connection:
            return None
        self.calls += 1
        kr, output = self._native.IOConnectCallStructMethod(
            self._connection, KERNEL_INDEX_SMC, payload, KEY_DATA.size)
        if kr != KERN_SUCCESS or len(output) < KEY_DATA.size:
            return None
        fields = KEY_DATA.unpack_from(output)
        if fields[_RESULT] != RESULT_OK:
            return None
        return Reply(int(fields[_KEY]), int(fields[_SIZE]), int(fields[_TYPE]),
                     bytes(fields[_BYTES]))

    def key_info(self, key: str) -> KeyInfo | None:
        """Size and type of `key`, asked once per connection; None when it does not exist."""
        if key not in self._info:
            out = self._call(pack_key_data(fourcc(key), READ_KEY_INFO))
            # A missing key answers result 0x84 (kSMCKeyNotFound) or a zero size.
            self._info[key] = KeyInfo(out.size, fourcc_name(out.data_type)) \
                if out is not None and out.size > 0 else None
        return self._info[key]

    def read(self, key: str) -> float | None:
        """The decoded value of `key`, or None."""
        info = self.key_info(key)
        if info is None:
            return None
        out = self._call(pack_key_data(fourcc(key), READ_BYTES, size=info.size,
                                       data_type=fourcc(info.data_type)))
        return decode_smc(info.data_type, out.data[: info.size]) if out is not None else None

    def key_count(self) -> int | None:
        """How many keys the SMC has (`#KEY`)."""
        count = self.read("#KEY")
        return int(count) if count is not None else None

    def key_at(self, index: int) -> str | None:
        """The key at `index` of the SMC's key table."""
        out = self._call(pack_key_data(command=READ_INDEX, index=index))
        return fourcc_name(out.key) if out is not None else None

    def discover_temperature_keys(self) -> dict[str, list[str]]:
        """CPU and GPU temperature keys ({"cpu": [...], "gpu": [...]}) by enumeration.

        The key table is sorted by code (all-smi measured 3,739 keys on an M5 Max), so a
        binary search finds the `T…` span and only that span is read; when the table does
        not look sorted, or the span holds no sensor, every key is read.
        """
        count = self.key_count()
        if not count:
            return {"cpu": [], "gpu": []}
        start = self._span_start("T", count)
        if start is not None:
            found = self._classify(range(start, count), stop_at="U")
            if found["cpu"] or found["gpu"]:
                return found
        return self._classify(range(count), stop_at=None)

    def _span_start(self, first: str, count: int) -> int | None:
        probes: list[tuple[int, str]] = []
        low, high = 0, count
        while low < high:
            middle = (low + high) // 2
            name = self.key_at(middle)
            if name is None:
                return None
            probes.append((middle, name))
            low, high = (middle + 1, high) if name < first else (low, middle)
        if low > 0:
            before = self.key_at(low - 1)
            if before is None or before >= first:
                return None
            probes.append((low - 1, before))
        names = [name for _, name in sorted(probes)]
        return low if names == sorted(names) else None

    def _classify(self, indices: range, stop_at: str | None) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {"cpu": [], "gpu": []}
        for index in indices:
            name = self.key_at(index)
            if name is None:
                continue
            if stop_at is not None and name >= stop_at:
                break
            if name[0] != "T" or name[1] not in _TEMPERATURE_SECOND:
                continue  # skip the key-info round trip for names that cannot match
            info = self.key_info(name)
            kind = temperature_kind(name, info.data_type) if info else None
            if kind:
                found[kind].append(name)
        return found

    def mean_temperature_c(self, keys: list[str]) -> float | None:
        """Mean of the keys' readings within 10-120 °C, or None when none answers."""
        return mean_temperature_c(self.read(key) for key in keys)

    def close(self) -> None:
        """Close the user client. Idempotent."""
        connection, self._connection = self._connection, 0
        if connection:
            self._native.IOServiceClose(connection)
