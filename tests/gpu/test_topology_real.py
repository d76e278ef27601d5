"""The NVIDIA backend's topology against the real NVML and `nvidia-smi topo -m`; skipped
where NVML cannot initialise or nvidia-smi is missing."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from allsmi_py.tui.widgets.topology import matrix_cells
from backends.nvidia.backend import NvidiaBackend
from tests.topo_m import topo_m_cells

pytestmark = pytest.mark.gpu


def test_every_gpu_is_in_the_topology_and_every_pair_has_a_path(backend: NvidiaBackend) -> None:
    readings = backend.read()
    topology = backend.topology()
    assert topology is not None
    assert [d.uuid for d in topology.devices] == [r.uuid for r in readings]
    count = len(readings)
    assert len(topology.links) == count * (count - 1) // 2


def test_the_matrix_is_what_nvidia_smi_topo_m_prints(backend: NvidiaBackend) -> None:
    if shutil.which("nvidia-smi") is None:
        pytest.skip("nvidia-smi not installed")
    out = subprocess.run(["nvidia-smi", "topo", "-m"], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    backend.read()
    topology = backend.topology()
    assert topology is not None
    assert matrix_cells(topology) == topo_m_cells(out)
