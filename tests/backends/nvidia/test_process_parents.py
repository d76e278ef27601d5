"""A GPU process's parent pid (the process table's tree view) comes from psutil."""

from __future__ import annotations

import os

from allsmi_py.units import MIB
from tests.backends.nvidia.test_mig_and_processes import INVISIBLE
from tests.fakes.fake_pynvml import FakeProcess, h100


def test_a_visible_process_has_its_parent_and_an_invisible_one_none(make_backend) -> None:
    gpu = h100(0)
    gpu.compute = [FakeProcess(os.getpid(), 512 * MIB), FakeProcess(INVISIBLE[0], 256 * MIB)]
    gpu.process_util = []
    backend, _ = make_backend([gpu])
    by_pid = {p.pid: p for p in backend.read()[0].processes}
    assert by_pid[os.getpid()].ppid == os.getppid()
    assert by_pid[INVISIBLE[0]].ppid is None
