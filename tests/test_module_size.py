"""DESIGN.md keeps modules under about 400 lines; past that a module holds two jobs."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("allsmi_py", "backends", "mock_server", "dashboards", "tests")
MAX_LINES = 400


def _modules() -> list[Path]:
    return sorted(p for folder in FOLDERS for p in (ROOT / folder).rglob("*.py")
                  if "__pycache__" not in p.parts)


def test_the_walk_finds_the_packages() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in _modules()}
    assert {"allsmi_py/model.py", "backends/nvidia/nvml.py", "tests/test_module_size.py"} <= names


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_module_is_under_the_limit(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)}: {lines} lines; split it by job"
