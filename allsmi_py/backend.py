"""The Backend base class: the only contract a hardware backend implements.

A backend knows its hardware and nothing else: it returns `DeviceReading`s and never
imports the UI, the exporter or the remote code. Vendor libraries are imported inside
`open()` (or lazily later), never at module import, so the tool starts on any machine.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from types import TracebackType
from typing import Any, ClassVar

from allsmi_py.model import DeviceReading
from allsmi_py.needs import Need
from allsmi_py.topology import Topology


@dataclass(frozen=True, slots=True)
class Availability:
    """Whether a backend can run on this machine, and why not."""

    ok: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.ok

    @classmethod
    def yes(cls, reason: str = "") -> Availability:
        """The backend can run."""
        return cls(True, reason)

    @classmethod
    def no(cls, reason: str) -> Availability:
        """The backend cannot run; `reason` says why and, where possible, how to fix it."""
        return cls(False, reason)


class Backend(ABC):
    """One family of accelerators.

    Life cycle: `available()` (cheap, no init) -> `open()` (init, read static identity)
    -> `read()` once per tick -> `close()`. `open()` raises `BackendUnavailable` when the
    hardware or library turns out to be missing; `read()` may raise anything, which the
    collector turns into the backend's `error` status.
    """

    name: ClassVar[str] = ""
    """Entry-point name, shown to users (`--backend NAME`)."""

    vendor: ClassVar[str] = ""
    """Vendor label shown on devices ("NVIDIA", "AMD", ...)."""

    requirements: ClassVar[str] = ""
    """What the backend needs, in words (OS, driver, library or tool)."""

    needs: ClassVar[tuple[Need, ...]] = ()
    """The same needs as data (hardware evidence, device files, libraries, tools, modules),
    which `allsmi doctor` checks one by one."""

    def __init_subclass__(cls, name: str = "", vendor: str = "", requirements: str = "",
                          needs: tuple[Need, ...] = (), **kwargs: Any) -> None:
        """`class X(Backend, name=..., vendor=..., requirements=..., needs=...)` declares them."""
        super().__init_subclass__(**kwargs)
        for attr, value in (("name", name), ("vendor", vendor), ("requirements", requirements)):
            if value:
                setattr(cls, attr, value)
        if needs:
            cls.needs = needs

    @classmethod
    def available(cls) -> Availability:
        """Cheap check, without initialising any library; must finish in milliseconds."""
        return Availability.yes()

    def open(self) -> None:  # noqa: B027 - optional hook, not abstract on purpose
        """Initialise the library or tool and read static facts."""

    @abstractmethod
    def read(self) -> list[DeviceReading]:
        """Read every device once."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release what open() acquired. Safe to call twice."""

    simulates_processes: ClassVar[bool] = False
    """True when the processes in this backend's readings are simulated, not this machine's:
    the local view then ends them through end_process instead of signalling a real pid."""

    def end_process(self, pid: int, signum: int) -> bool:
        """End simulated process `pid` as signal `signum` would (0: only ask whether it is
        one); True when it is one of this backend's. Asked only when simulates_processes."""
        return False

    def status_message(self) -> str:
        """A short note for the backend's status line when all is well (e.g. data source)."""
        return ""

    def topology(self) -> Topology | None:
        """How this backend's devices are joined (NvLink, PCIe, NUMA), or None when it
        cannot say. Asked after every read, so it must be cheap: read once and keep it."""
        return None

    def __enter__(self) -> Backend:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

