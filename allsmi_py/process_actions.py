"""Signals to processes from the local view: which signal, whether we may, sending it, one message.

UI-free. The seams (os.kill, the process lookup, our uids) are parameters, so tests drive every
refusal without touching real processes, and a real child process drives the real path. A
process of a backend that simulates its processes (the mock) is ended in the simulation, never
by os.kill: a simulated pid is a random number that may be a real process here.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import psutil

from allsmi_py.model import ProcessReading

MAX_SIGNAL_TEXT = 32
# A process whose start time differs from the reading's by more than this is another process
# that took over the pid since the snapshot (pids are reused).
PID_REUSE_TOLERANCE_S = 2.0


class SignalNameError(ValueError):
    """A signal name or number that this system does not know; the message says what to type."""


def parse_signal(text: str) -> signal.Signals:
    """`TERM`, `SIGTERM`, `sigterm` or `15` as a signal of this system."""
    value = text.strip()
    if not value:
        raise SignalNameError("no signal given: type a name such as TERM, KILL or INT, or a number")
    if len(value) > MAX_SIGNAL_TEXT:
        raise SignalNameError(f"signal name too long (over {MAX_SIGNAL_TEXT} characters)")
    if value.isascii() and value.isdigit():
        try:
            return signal.Signals(int(value))
        except ValueError:
            raise SignalNameError(f"no signal number {value} on this system") from None
    name = value.upper()
    if not name.startswith("SIG"):
        name = "SIG" + name
    member = signal.Signals.__members__.get(name)
    if member is None:
        raise SignalNameError(f"unknown signal {value!r}: try TERM, KILL, INT, HUP or USR1")
    return member


@dataclass(frozen=True, slots=True)
class ProcessFacts:
    """What the OS says about a live process: its uids (real, effective, saved) and start."""

    uids: tuple[int, ...]
    started_at_s: float | None
    user: str | None


def inspect_process(pid: int) -> ProcessFacts | None:
    """The live process `pid` (None when it has exited or is a zombie), through psutil."""
    try:
        process = psutil.Process(pid)
        with process.oneshot():
            if process.status() == psutil.STATUS_ZOMBIE:
                return None
            try:
                uids: tuple[int, ...] = tuple(process.uids())
            except psutil.AccessDenied:
                uids = ()
            try:
                user: str | None = process.username()
            except (psutil.AccessDenied, KeyError):
                user = None
            return ProcessFacts(uids, process.create_time(), user)
    except psutil.NoSuchProcess:  # ZombieProcess included
        return None
    except psutil.AccessDenied:
        return ProcessFacts((), None, None)


def own_uids() -> tuple[int, int]:
    """This process's real and effective uid."""
    return os.getuid(), os.geteuid()


class SimulatedProcesses(Protocol):
    """What ends a simulated process: the collector, asking the backend that reported it."""

    def end_simulated_process(self, backend: str, pid: int, signum: int) -> bool | None:
        """True: ended; False: no such simulated process; None: `backend`'s processes are real.

        Signal 0, as with kill(2), only asks: it ends nothing."""


def printable(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, control characters (a terminal's escapes) as '?'."""
    cut = text if len(text) <= limit else text[:limit - 1] + "…"
    return "".join(ch if ch.isprintable() else "?" for ch in cut)


@dataclass(frozen=True, slots=True)
class SignalTarget:
    """A process as the view showed it, and the backend whose reading listed it."""

    process: ProcessReading
    backend: str

    def describe(self) -> str:
        """'pid 123 (alice: python train.py)'."""
        p = self.process
        user = printable(p.user or "unknown user", 64)
        return f"pid {p.pid} ({user}: {printable(p.command or p.name or '?', 80)})"


@dataclass(frozen=True, slots=True)
class ActionResult:
    """How an action went, as one line for the user."""

    ok: bool
    message: str


class ProcessSignaller:
    """Sends a signal to a process of the local view, refusing what cannot or must not be done."""

    def __init__(self, simulated: SimulatedProcesses | None = None, *,
                 kill: Callable[[int, int], None] = os.kill,
                 inspect: Callable[[int], ProcessFacts | None] = inspect_process,
                 getuids: Callable[[], tuple[int, int]] = own_uids,
                 own_pid: int | None = None) -> None:
        self.simulated = simulated
        self._kill = kill
        self._inspect = inspect
        self._getuids = getuids
        self._own_pid = os.getpid() if own_pid is None else own_pid

    def _is_simulated(self, target: SignalTarget) -> bool:
        # Asking with signal 0 only tells whether the backend simulates; it ends nothing.
        return (self.simulated is not None and
                self.simulated.end_simulated_process(target.backend, target.process.pid, 0)
                is not None)

    def refusal(self, target: SignalTarget) -> str | None:
        """Why `target` cannot be signalled now, or None when it can (checked again on send)."""
        pid = target.process.pid
        if self._is_simulated(target):
            return None
        if pid <= 1:
            return f"pid {pid} cannot be signalled from here"
        if pid == self._own_pid:
            return f"pid {pid} is allsmi itself"
        facts = self._inspect(pid)
        if facts is None:
            return f"pid {pid} has already exited"
        shown = target.process.started_at_s
        if (shown is not None and facts.started_at_s is not None
                and abs(facts.started_at_s - shown) > PID_REUSE_TOLERANCE_S):
            return f"pid {pid} is now another process (started since the reading): not signalled"
        real_uid, effective_uid = self._getuids()
        if effective_uid == 0:
            return None
        # kill(2): the sender's real or effective uid must be the target's real or saved uid.
        target_uids = {facts.uids[0], facts.uids[-1]} if facts.uids else set()
        if not target_uids & {real_uid, effective_uid}:
            owner = facts.user or target.process.user or "another user"
            return (f"pid {pid} belongs to {owner}: only its owner or root can signal it "
                    f"(you are uid {effective_uid})")
        return None

    def send(self, target: SignalTarget, sig: signal.Signals) -> ActionResult:
        """Send `sig` to `target` (or end it in the simulation); never raises."""
        what = f"{sig.name} to {target.describe()}"
        refused = self.refusal(target)
        if refused is not None:
            return ActionResult(False, refused)
        if self.simulated is not None:
            ended = self.simulated.end_simulated_process(target.backend, target.process.pid,
                                                         int(sig))
            if ended is not None:
                return (ActionResult(True, f"sent {what} (simulated)") if ended else
                        ActionResult(False, f"pid {target.process.pid} has already exited"))
        try:
            self._kill(target.process.pid, int(sig))
        except ProcessLookupError:
            return ActionResult(False, f"pid {target.process.pid} has already exited")
        except PermissionError:
            return ActionResult(False, f"not allowed to signal pid {target.process.pid}: "
                                       "only its owner or root can")
        except OSError as exc:
            return ActionResult(False, f"cannot signal pid {target.process.pid}: "
                                       f"{exc.strerror or exc}")
        return ActionResult(True, f"sent {what}")
