"""DESIGN.md's layering: the import-linter contracts in pyproject.toml, and run-time checks.

The contracts themselves live in pyproject.toml (`[tool.importlinter]`). These tests run them
over the tree, prove that each kind of leak breaks one (on a copy with a forbidden import
added), and keep the lists in the contracts complete as modules are added.
"""

from __future__ import annotations

import os
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("allsmi_py", "backends", "mock_server")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
# What a backend may import of the core: the Backend contract and what it is made of.
BACKEND_MAY_IMPORT = {"model", "backend", "needs", "details", "errors", "units", "serialize",
                      "topology", "model_chassis", "model_workload"}


def _contracts() -> dict[str, dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {c["id"]: c for c in config["contracts"]}


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--no-logo"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)


def _submodules(package: str) -> set[str]:
    return {m.name for m in pkgutil.iter_modules([str(ROOT / package)])}


def test_every_contract_holds_over_the_tree() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(_contracts())} kept, 0 broken" in result.stdout


def test_backend_contract_forbids_every_core_module_but_the_backend_contract() -> None:
    forbidden = set(_contracts()["backends-core-only"]["forbidden_modules"])  # type: ignore[arg-type]
    core = {f"allsmi_py.{name}" for name in _submodules("allsmi_py") - {"__main__"}}
    allowed = {f"allsmi_py.{name}" for name in BACKEND_MAY_IMPORT}
    unclassified = core - allowed - forbidden
    assert not unclassified, f"allow or forbid for backends: {sorted(unclassified)}"
    assert not forbidden & allowed


def test_vendor_lists_name_every_backend_package() -> None:
    vendors = _submodules("backends") - {"_common"}
    layers = _contracts()["backend-layers"]["layers"]
    assert {v.strip() for v in layers[0].split("|")} == vendors  # type: ignore[index]
    nvml = set(_contracts()["nvml-in-nvidia-only"]["source_modules"])  # type: ignore[arg-type]
    assert {f"backends.{v}" for v in vendors - {"nvidia"}} <= nvml
    mock = set(_contracts()["mock-server-through-mock-backend"]["forbidden_modules"])  # type: ignore[arg-type]
    assert {f"backends.{v}" for v in vendors - {"mock"}} <= mock


# (file to change, line appended, contract that must break): one of each kind of leak
LEAKS = [
    pytest.param("backends/nvidia/backend.py", "from allsmi_py import exporter",
                 "backends-core-only", id="backend-imports-exporter-through-parent"),
    pytest.param("allsmi_py/model.py", "import backends.mock",
                 "core-sees-no-backend", id="model-imports-backends"),
    pytest.param("allsmi_py/model.py", "import allsmi_py.config",
                 "core-layers", id="model-imports-config"),
    pytest.param("allsmi_py/exporter/render.py", "import allsmi_py.tui.style",
                 "core-layers", id="exporter-imports-tui"),
    pytest.param("allsmi_py/exporter/render.py", "import allsmi_py.collector",
                 "core-layers", id="exporter-imports-collector"),
    pytest.param("allsmi_py/collector.py", "def _late() -> None:\n    import textual",
                 "engine-no-ui-or-network", id="collector-imports-textual-in-a-function"),
    pytest.param("allsmi_py/units.py", "import rich",
                 "backends-core-only", id="backend-reaches-rich-indirectly"),
    pytest.param("backends/amd/parse.py", "from backends.nvidia import nvml",
                 "backend-layers", id="backend-imports-another-vendor"),
    pytest.param("mock_server/node.py", "import backends.nvidia.backend",
                 "mock-server-through-mock-backend", id="mock-server-imports-nvidia"),
    pytest.param("allsmi_py/tui/app.py", "import backends.mock.backend",
                 "core-sees-no-backend", id="tui-imports-backends"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("path", "line", "contract"), LEAKS)
def test_a_forbidden_import_breaks_its_contract(tmp_path: Path, path: str, line: str,
                                                contract: str) -> None:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    target = tmp_path / path
    target.write_text(target.read_text() + f"\n{line}\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0, result.stdout
    name = str(_contracts()[contract]["name"])
    # import-linter wraps long names; compare without line breaks
    assert f"{name} BROKEN" in " ".join(result.stdout.split()), result.stdout


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
