"""A short temporary directory for unix sockets: pytest's tmp_path can outgrow sun_path."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def sock_dir() -> Iterator[Path]:
    """A fresh directory with a path short enough for sockets (removed after the test)."""
    path = Path(tempfile.mkdtemp(prefix="asmi"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
