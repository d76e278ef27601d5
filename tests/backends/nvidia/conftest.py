"""Fixtures: a fake pynvml in place of the real one, and a backend opened on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from backends.nvidia.backend import NvidiaBackend
from tests.fakes.fake_pynvml import FakeGpu, FakeNvml


@pytest.fixture
def make_backend(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[[list[FakeGpu]], tuple[NvidiaBackend, FakeNvml]]]:
    """Build a FakeNvml over the given GPUs, install it as pynvml, open a backend on it."""
    opened: list[NvidiaBackend] = []

    def make(gpus: list[FakeGpu]) -> tuple[NvidiaBackend, FakeNvml]:
        fake = FakeNvml(gpus)
        fake.install(monkeypatch)
        backend = NvidiaBackend()
        backend.open()
        opened.append(backend)
        return backend, fake

    yield make
    for backend in opened:
        backend.close()
