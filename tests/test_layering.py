"""DESIGN.md's layering rules, enforced over the source tree (static) and at run time."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UI_AND_NETWORK = {"textual", "prometheus_client", "httpx", "aiohttp", "uvicorn", "rich"}
BACKEND_MAY_USE_FROM_CORE = {"allsmi_py", "allsmi_py.model", "allsmi_py.backend",
                             "allsmi_py.errors", "allsmi_py.units"}
CORE_MODULES = ["model", "serialize", "collector", "backend", "plugins", "errors", "units",
                "host", "config", "local"]


def _imports(path: Path) -> list[str]:
    """Every module imported anywhere in the file (top level or inside functions)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            found.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("path", _files("backends"), ids=lambda p: str(p.relative_to(ROOT)))
def test_backends_import_only_the_core_contract(path: Path) -> None:
    own_package = ".".join(path.relative_to(ROOT).parts[:2])  # backends.<vendor>
    for name in _imports(path):
        assert _top(name) not in UI_AND_NETWORK, f"{path}: imports {name}"
        if _top(name) == "allsmi_py":
            parent = name if name in BACKEND_MAY_USE_FROM_CORE else name.rsplit(".", 1)[0]
            assert parent in BACKEND_MAY_USE_FROM_CORE, f"{path}: imports {name}"
        if _top(name) == "backends" and name != "backends":
            assert name.startswith(own_package), f"{path}: imports another backend: {name}"
        if _top(name) == "pynvml":
            assert own_package == "backends.nvidia", f"{path}: only the NVIDIA backend uses NVML"


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_modules_import_no_ui_or_network_library(module: str) -> None:
    for name in _imports(ROOT / "allsmi_py" / f"{module}.py"):
        assert _top(name) not in UI_AND_NETWORK, f"allsmi_py/{module}.py imports {name}"
        assert _top(name) != "pynvml"


@pytest.mark.parametrize("package", ["allsmi_py/tui", "allsmi_py/remote", "allsmi_py/exporter"])
def test_consumers_never_import_backends(package: str) -> None:
    for path in sorted((ROOT / package).rglob("*.py")):
        for name in _imports(path):
            assert _top(name) != "backends", f"{path} imports {name}"
            assert _top(name) != "pynvml", f"{path} imports {name}"


@pytest.mark.parametrize("package", ["allsmi_py/remote", "allsmi_py/exporter"])
def test_exporter_and_remote_never_import_the_ui(package: str) -> None:
    for path in sorted((ROOT / package).rglob("*.py")):
        assert all(_top(n) != "textual" for n in _imports(path)), path


def _loaded_after(code: str) -> set[str]:
    probe = code + "\nimport sys; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    return set(out.stdout.split())


def test_importing_the_collector_loads_neither_textual_nor_pynvml() -> None:
    loaded = _loaded_after("import allsmi_py.collector")
    assert "textual" not in loaded and "pynvml" not in loaded


def test_snapshot_command_never_imports_textual() -> None:
    loaded = _loaded_after(
        "import io, contextlib\nfrom allsmi_py.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['snapshot']) == 0\n")
    assert "textual" not in loaded
