"""The Backend base class: the only contract a hardware backend implements.

A backend knows its hardware and nothing else: it returns `DeviceReading`s and never
imports the UI, the exporter or the remote code. Vendor libraries are imported inside
`open()` (or lazily later), never at module import, so the tool starts on any machine.
"""

from __future__ import annotations

import os
import signal
import subprocess
from abc import ABC, abstractmethod
from dataclasses import dataclass
from types import TracebackType
from typing import Any, ClassVar

from allsmi_py.errors import BackendReadError
from allsmi_py.model import DeviceReading


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

    def __init_subclass__(cls, name: str = "", vendor: str = "", requirements: str = "",
                          **kwargs: Any) -> None:
        """`class X(Backend, name=..., vendor=..., requirements=...)` declares the three facts."""
        super().__init_subclass__(**kwargs)
        for attr, value in (("name", name), ("vendor", vendor), ("requirements", requirements)):
            if value:
                setattr(cls, attr, value)

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

    def status_message(self) -> str:
        """A short note for the backend's status line when all is well (e.g. data source)."""
        return ""

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


def run_tool(argv: list[str], timeout_s: float) -> str:
    """Run a tool in its own process group and return stdout; BackendReadError on any failure."""
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            start_new_session=True,
        )
    except OSError as exc:
        raise BackendReadError(f"cannot run {argv[0]}: {exc.strerror or exc}") from exc
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        # Kill the whole group: a wrapper script's children would keep the pipes open.
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise BackendReadError(f"{' '.join(argv)} did not answer within {timeout_s:g} s") from None
    if proc.returncode != 0:
        tail = (err.strip().splitlines() or ["no message"])[-1]
        raise BackendReadError(f"{' '.join(argv)} exited with {proc.returncode}: {tail}")
    return out


def stop_process(process: subprocess.Popen[Any], grace_s: float = 1.0) -> None:
    """Terminate a long-running tool, kill it after `grace_s`, and close its stdout."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=grace_s)
    if process.stdout is not None:
        process.stdout.close()
