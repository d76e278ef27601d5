"""Process actions, UI-free: signal names, every refusal, a real child process, the simulation."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from allsmi_py.model import ProcessReading
from allsmi_py.process_actions import (
    MAX_SIGNAL_TEXT,
    ProcessFacts,
    ProcessSignaller,
    SignalNameError,
    SignalTarget,
    inspect_process,
    parse_signal,
)

T0 = 1_790_000_000.0
BOB = ProcessFacts(uids=(2000, 2000, 2000), started_at_s=T0, user="bob")


def _target(pid: int = 4242, user: str = "bob", started_at_s: float | None = T0,
            backend: str = "nvidia") -> SignalTarget:
    return SignalTarget(ProcessReading(pid=pid, user=user, command="python train.py",
                                       started_at_s=started_at_s), backend)


class Kills:
    """A fake os.kill that records, or raises what it is given."""

    def __init__(self, error: OSError | None = None) -> None:
        self.calls: list[tuple[int, int]] = []
        self.error = error

    def __call__(self, pid: int, signum: int) -> None:
        self.calls.append((pid, signum))
        if self.error is not None:
            raise self.error


def _signaller(facts: ProcessFacts | None = BOB, uids: tuple[int, int] = (1000, 1000),
               kill: Kills | None = None) -> ProcessSignaller:
    return ProcessSignaller(kill=kill or Kills(), inspect=lambda pid: facts,
                            getuids=lambda: uids, own_pid=99)


@pytest.mark.parametrize("text, expected", [
    ("TERM", signal.SIGTERM), ("SIGTERM", signal.SIGTERM), ("sigterm", signal.SIGTERM),
    ("15", signal.SIGTERM), (" kill ", signal.SIGKILL), ("Int", signal.SIGINT),
    ("9", signal.SIGKILL), ("hup", signal.SIGHUP), ("USR1", signal.SIGUSR1),
])
def test_signal_names_and_numbers(text: str, expected: signal.Signals) -> None:
    assert parse_signal(text) is expected


@pytest.mark.parametrize("text, says", [
    ("", "no signal given"), ("   ", "no signal given"), ("FOO", "unknown signal 'FOO'"),
    ("999", "no signal number 999"), ("0", "no signal number 0"), ("-9", "unknown signal"),
    ("SIG_DFL", "unknown signal"), ("SIG_IGN", "unknown signal"), ("١٥", "unknown signal"),
    ("T" * (MAX_SIGNAL_TEXT + 1), "signal name too long"), ("TERM\x1b[2J", "unknown signal"),
])
def test_unreadable_signals_say_what_to_type(text: str, says: str) -> None:
    with pytest.raises(SignalNameError, match="^" + says.replace("(", r"\(")):
        parse_signal(text)


def test_another_users_process_is_refused_when_not_root() -> None:
    kills = Kills()
    signaller = _signaller(kill=kills)
    refused = signaller.refusal(_target())
    assert refused == ("pid 4242 belongs to bob: only its owner or root can signal it "
                       "(you are uid 1000)")
    result = signaller.send(_target(), signal.SIGTERM)
    assert not result.ok and result.message == refused
    assert kills.calls == []


def test_root_may_signal_anyone_and_the_owner_may_signal_its_own() -> None:
    assert _signaller(uids=(1000, 0)).refusal(_target()) is None
    assert _signaller(uids=(2000, 2000)).refusal(_target()) is None
    # kill(2): the sender's real uid against the target's saved uid counts too
    setuid_child = ProcessFacts(uids=(3000, 3000, 1000), started_at_s=T0, user="carol")
    assert _signaller(facts=setuid_child, uids=(1000, 1000)).refusal(_target()) is None
    # uids the OS would not show (AccessDenied): not ours, unless root
    hidden = ProcessFacts(uids=(), started_at_s=None, user=None)
    assert "belongs to bob" in (_signaller(facts=hidden).refusal(_target()) or "")
    assert _signaller(facts=hidden, uids=(0, 0)).refusal(_target()) is None


def test_an_exited_process_and_a_reused_pid_are_refused() -> None:
    assert _signaller(facts=None).refusal(_target()) == "pid 4242 has already exited"
    newer = ProcessFacts(uids=(1000, 1000, 1000), started_at_s=T0 + 30, user="me")
    assert "now another process" in (_signaller(facts=newer).refusal(_target()) or "")
    # within the tolerance (clock rounding between the backend and psutil): the same one
    close = ProcessFacts(uids=(1000, 1000, 1000), started_at_s=T0 + 0.5, user="me")
    assert _signaller(facts=close).refusal(_target()) is None
    assert _signaller(facts=newer).refusal(_target(started_at_s=None)) is None


@pytest.mark.parametrize("pid, says", [(0, "cannot be signalled"), (1, "cannot be signalled"),
                                       (-1, "cannot be signalled"), (99, "allsmi itself")])
def test_pids_that_would_signal_a_group_init_or_ourselves_are_refused(pid: int, says: str) -> None:
    kills = Kills()
    result = _signaller(uids=(0, 0), kill=kills).send(_target(pid=pid), signal.SIGKILL)
    assert not result.ok and says in result.message
    assert kills.calls == []


@pytest.mark.parametrize("error, says", [
    (ProcessLookupError(3, "No such process"), "pid 4242 has already exited"),
    (PermissionError(1, "Operation not permitted"), "not allowed to signal pid 4242"),
    (OSError(22, "Invalid argument"), "cannot signal pid 4242: Invalid argument"),
])
def test_kill_errors_become_one_message(error: OSError, says: str) -> None:
    result = _signaller(uids=(0, 0), kill=Kills(error)).send(_target(), signal.SIGTERM)
    assert not result.ok and result.message.startswith(says)


def test_a_real_child_process_is_ended_by_sigterm_through_the_real_path() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        started = psutil.Process(child.pid).create_time()
        target = SignalTarget(ProcessReading(pid=child.pid, user="me", command="sleep",
                                             started_at_s=started), "nvidia")
        signaller = ProcessSignaller()
        assert signaller.refusal(target) is None
        result = signaller.send(target, signal.SIGTERM)
        assert result.ok, result.message
        assert result.message == f"sent SIGTERM to pid {child.pid} (me: sleep)"
        assert child.wait(timeout=30) == -signal.SIGTERM
        again = signaller.send(target, signal.SIGTERM)
        assert not again.ok and again.message == f"pid {child.pid} has already exited"
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_a_zombie_counts_as_exited() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        psutil.Process(child.pid).wait(timeout=30)  # exited, not reaped: a zombie
    except psutil.NoSuchProcess:
        pass
    assert inspect_process(child.pid) is None
    child.wait()


def test_inspect_process_sees_our_own_uids() -> None:
    facts = inspect_process(os.getpid())
    assert facts is not None and os.getuid() in facts.uids
    assert facts.started_at_s is not None and facts.started_at_s <= time.time()


class Simulation:
    """A stand-in collector: backend "mock" simulates pids in `alive`."""

    def __init__(self, alive: set[int]) -> None:
        self.alive = alive
        self.calls: list[tuple[str, int, int]] = []

    def end_simulated_process(self, backend: str, pid: int, signum: int) -> bool | None:
        self.calls.append((backend, pid, signum))
        if backend != "mock":
            return None
        present = pid in self.alive
        if present and signum:
            self.alive.discard(pid)
        return present


def test_a_simulated_process_is_ended_in_the_simulation_never_by_kill() -> None:
    kills = Kills()
    simulation = Simulation({4242})
    signaller = ProcessSignaller(simulation, kill=kills, inspect=lambda pid: BOB,
                                 getuids=lambda: (1000, 1000))
    target = _target(backend="mock")  # bob's, but simulated: no owner to refuse for
    assert signaller.refusal(target) is None
    result = signaller.send(target, signal.SIGKILL)
    assert result.ok and result.message == ("sent SIGKILL to pid 4242 (bob: python train.py) "
                                            "(simulated)")
    assert simulation.alive == set() and kills.calls == []
    gone = signaller.send(target, signal.SIGKILL)
    assert not gone.ok and gone.message == "pid 4242 has already exited"
    assert kills.calls == []  # a simulated pid may be a real process here: never kill it


def test_a_real_backends_process_goes_to_kill_even_with_a_simulation() -> None:
    kills = Kills()
    signaller = ProcessSignaller(Simulation({4242}), kill=kills,
                                 inspect=lambda pid: BOB, getuids=lambda: (2000, 2000))
    assert signaller.send(_target(backend="nvidia"), signal.SIGINT).ok
    assert kills.calls == [(4242, signal.SIGINT)]
