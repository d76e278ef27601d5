"""Simulated parent pids: a launcher and its workers, as torchrun or mpirun start them.

The earliest-started job of a user is the launcher (its parent is init, pid 1); the user's
jobs on the other devices are its children. Worked out from the readings alone, so the
simulation's random sequence is the same as without parents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from allsmi_py.model import DeviceReading, ProcessReading

INIT_PID = 1


def _start(proc: ProcessReading) -> tuple[float, int]:
    return (proc.started_at_s if proc.started_at_s is not None else float("inf"), proc.pid)


def with_parents(readings: Sequence[DeviceReading]) -> list[DeviceReading]:
    """`readings` with every process's ppid set (the launcher's pid, or init's)."""
    launcher: dict[str | None, ProcessReading] = {}
    for device in readings:
        for proc in device.processes:
            first = launcher.get(proc.user)
            if first is None or _start(proc) < _start(first):
                launcher[proc.user] = proc
    out = []
    for device in readings:
        processes = tuple(
            replace(proc, ppid=INIT_PID if launcher[proc.user].pid == proc.pid
                    else launcher[proc.user].pid)
            for proc in device.processes)
        out.append(replace(device, processes=processes) if processes else device)
    return out
