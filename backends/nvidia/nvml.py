"""The one chokepoint for NVML calls: every error becomes None, a problem, or a lost device.

`NvmlSession` owns the library (init and shutdown) and remembers, per device and call, what
the hardware does not support, so that a GeForce card is not asked for ECC counts every tick.
`DeviceCalls` is one device's view of the session for one tick: `get()` for values that
change, `static()` for values read once per process, and a list of `problems` in words.
"""

from __future__ import annotations

import contextlib
from collections.abc import Hashable
from types import ModuleType
from typing import Any

from allsmi_py.errors import BackendUnavailable

# Errors that mean "this device or driver cannot answer this question": asking again next
# tick gives the same answer (backends.md section 2, "Errors and how to degrade").
# ArgumentVersionMismatch is included because it means the driver does not know the struct
# version the bindings sent, which does not change while the process lives.
_NEVER_ANSWERS = (
    "NVMLError_NotSupported",
    "NVMLError_NoPermission",
    "NVMLError_FunctionNotFound",
    "NVMLError_ArgumentVersionMismatch",
)
_LOST = ("NVMLError_GpuIsLost", "NVMLError_ResetRequired")

_UNAVAILABLE_MESSAGES = {
    "NVMLError_LibraryNotFound": (
        "libnvidia-ml.so.1 not found: install the NVIDIA driver, or start the container "
        "with the NVIDIA runtime (--gpus all)"
    ),
    "NVMLError_DriverNotLoaded": (
        "NVIDIA driver not loaded: load the kernel module (modprobe nvidia) or reinstall the driver"
    ),
    "NVMLError_LibRmVersionMismatch": (
        "NVIDIA driver/library version mismatch: the driver was upgraded, reboot or reload "
        "the nvidia kernel module"
    ),
    "NVMLError_Uninitialized": "NVML could not be initialised: check the NVIDIA driver",
    "NVMLError_NoPermission": "no permission to open the NVIDIA devices (/dev/nvidia*)",
}


class GpuLost(Exception):  # noqa: N818 - a signal, not an error the user sees
    """Raised by DeviceCalls when NVML says the GPU fell off the bus or needs a reset."""


def _names(nvml: ModuleType, names: tuple[str, ...]) -> tuple[type[BaseException], ...]:
    return tuple(getattr(nvml, n) for n in names if hasattr(nvml, n))


def load_nvml() -> ModuleType:
    """Import pynvml, turning a missing package into BackendUnavailable."""
    try:
        import pynvml  # noqa: TID251 - the one place the NVIDIA backend imports it
    except ImportError as exc:
        raise BackendUnavailable(
            "the nvidia-ml-py package (module pynvml) is not installed: pip install nvidia-ml-py"
        ) from exc
    module: ModuleType = pynvml
    return module


class NvmlSession:
    """An initialised NVML library plus the memory of which calls never answer."""

    def __init__(self, nvml: ModuleType) -> None:
        self.nvml = nvml
        self._never: set[tuple[Hashable, str, tuple[Any, ...]]] = set()
        self._static: dict[tuple[Hashable, str, tuple[Any, ...]], Any] = {}
        self._never_answers = _names(nvml, _NEVER_ANSWERS)
        self._lost = _names(nvml, _LOST)
        self._open = False

    @classmethod
    def open(cls) -> NvmlSession:
        """Load and initialise NVML; raise BackendUnavailable with a fix when it cannot."""
        nvml = load_nvml()
        session = cls(nvml)
        try:
            nvml.nvmlInit()
        except nvml.NVMLError as exc:
            message = _UNAVAILABLE_MESSAGES.get(type(exc).__name__, f"nvmlInit failed: {exc}")
            raise BackendUnavailable(message) from exc
        session._open = True
        return session

    def close(self) -> None:
        """Shut NVML down once; errors at shutdown are ignored on purpose."""
        if not self._open:
            return
        self._open = False
        with contextlib.suppress(self.nvml.NVMLError):
            self.nvml.nvmlShutdown()

    def system(self, fn_name: str, *args: Any) -> Any | None:
        """A system-wide value (driver version, ...), read once; None when NVML cannot say."""
        key = ("system", fn_name, args)
        if key in self._static:
            return self._static[key]
        try:
            value = getattr(self.nvml, fn_name)(*args)
        except self.nvml.NVMLError:
            value = None
        self._static[key] = value
        return value

    def device(self, device_key: Hashable, handle: Any) -> DeviceCalls:
        """A fresh per-tick view of one device (or MIG instance)."""
        return DeviceCalls(self, device_key, handle)

    def knows_unsupported(self, device_key: Hashable, fn_name: str, *args: Any) -> bool:
        """True when this call already failed for good on this device."""
        return (device_key, fn_name, args) in self._never


class DeviceCalls:
    """The NVML calls of one device for one tick, funnelled through the session's rules."""

    def __init__(self, session: NvmlSession, device_key: Hashable, handle: Any) -> None:
        self.session = session
        self.key = device_key
        self.handle = handle
        self.problems: list[str] = []

    def get(
        self,
        fn_name: str,
        *args: Any,
        absent_ok: bool = False,
        memo_args: tuple[Any, ...] | None = None,
        past_end_ok: bool = False,
    ) -> Any | None:
        """Call `fn_name(handle, *args)`; None when unsupported, failed, or (absent_ok) NotFound.

        Raises GpuLost when the device is gone. Unknown errors land in `problems`.
        `memo_args` replaces `args` in the "never supported" memory when an argument changes
        every tick (a timestamp). `past_end_ok`: InvalidArgument means the index argument is
        past the device's last (an NvLink), remembered like NotSupported.
        """
        session = self.session
        memo = (self.key, fn_name, args if memo_args is None else memo_args)
        if memo in session._never:
            return None
        nvml = session.nvml
        try:
            fn = getattr(nvml, fn_name)
        except AttributeError:
            # Older bindings lack newer symbols: same meaning as FunctionNotFound.
            session._never.add(memo)
            return None
        try:
            return fn(self.handle, *args)
        except session._never_answers:
            session._never.add(memo)
            return None
        except session._lost as exc:
            raise GpuLost(f"{fn_name}: {exc}") from exc
        except nvml.NVMLError as exc:
            if absent_ok and isinstance(exc, nvml.NVMLError_NotFound):
                return None
            if past_end_ok and isinstance(exc, nvml.NVMLError_InvalidArgument):
                session._never.add(memo)
                return None
            self.problems.append(f"{fn_name}: {exc}")
            return None

    def first(self, *calls: tuple[str, tuple[Any, ...]]) -> Any | None:
        """The first answer among alternative calls (newest symbol first), or None."""
        for fn_name, args in calls:
            value = self.get(fn_name, *args)
            if value is not None:
                return value
            if not self.session.knows_unsupported(self.key, fn_name, *args):
                return None  # supported but failed this tick: do not fall back to older data
        return None

    def static(self, fn_name: str, *args: Any) -> Any | None:
        """Like get(), but read once per process: identity, limits, thresholds, max clocks."""
        cache = self.session._static
        memo = (self.key, fn_name, args)
        if memo in cache:
            return cache[memo]
        before = len(self.problems)
        value = self.get(fn_name, *args)
        if value is not None or len(self.problems) == before:
            cache[memo] = value  # a transient failure is retried next tick, nothing else
        return value
