"""The real NVIDIA backend for the tests/gpu/ checks, opened once per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from allsmi_py.errors import BackendUnavailable
from backends.nvidia.backend import NvidiaBackend


@pytest.fixture(scope="module")
def backend() -> Iterator[NvidiaBackend]:
    """A backend opened on the real library, or a skip saying why not."""
    nvidia = NvidiaBackend()
    try:
        nvidia.open()
    except BackendUnavailable as exc:
        pytest.skip(f"NVML cannot initialise here: {exc}")
    yield nvidia
    nvidia.close()
