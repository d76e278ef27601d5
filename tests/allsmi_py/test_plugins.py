"""Backend discovery through entry points, including broken third-party plugins."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from allsmi_py.backend import Backend
from allsmi_py.errors import UsageError
from allsmi_py.plugins import backend_names, load_backend_class, validate_backend_names

BUILT_IN = {"mock", "nvidia", "apple", "jetson", "amd", "intel", "tenstorrent", "rebellions",
            "furiosa", "gaudi", "tpu"}


def _install_fake_distribution(root: Path, entry_points: str, modules: dict[str, str]) -> None:
    info = root / "thirdparty_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: thirdparty-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[allsmi_py.backends]\n{entry_points}\n")
    for name, source in modules.items():
        (root / f"{name}.py").write_text(source)


def test_built_in_backends_are_listed() -> None:
    assert set(backend_names(include_mock=True)) >= BUILT_IN
    assert "mock" not in backend_names()


def test_listing_names_imports_no_backend() -> None:
    code = ("import sys; from allsmi_py.plugins import backend_names; backend_names(True); "
            "print([m for m in sys.modules if m.startswith('backends.')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.fixture
def third_party(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    _install_fake_distribution(
        tmp_path,
        "missingdep = tp_missing:Backend\nexploding = tp_exploding:Backend\n"
        "notabackend = tp_plain:Thing\ngood = tp_good:GoodBackend",
        {
            "tp_missing": "import vendor_sdk_that_is_not_installed\n",
            "tp_exploding": "raise RuntimeError('plugin bug')\n",
            "tp_plain": "class Thing: pass\n",
            "tp_good": ("from allsmi_py.backend import Backend\n"
                        "class GoodBackend(Backend):\n    name = 'good'\n"
                        "    def read(self):\n        return []\n"),
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_missing_dependency_becomes_unavailable_naming_the_fix(third_party: Path) -> None:
    loaded = load_backend_class("missingdep")
    assert loaded.backend_class is None and loaded.status is not None
    assert loaded.status.state == "unavailable"
    assert "vendor_sdk_that_is_not_installed" in loaded.status.message
    assert "install" in loaded.status.message


def test_plugin_that_raises_at_import_becomes_unavailable(third_party: Path) -> None:
    loaded = load_backend_class("exploding")
    assert loaded.status is not None and "plugin bug" in loaded.status.message


def test_entry_point_that_is_not_a_backend_is_refused(third_party: Path) -> None:
    loaded = load_backend_class("notabackend")
    assert loaded.status is not None and "not an allsmi_py.backend.Backend" in loaded.status.message


def test_working_third_party_plugin_loads(third_party: Path) -> None:
    loaded = load_backend_class("good")
    assert loaded.backend_class is not None and issubclass(loaded.backend_class, Backend)
    assert "good" in backend_names()


def test_unknown_backend_name_is_a_usage_error_listing_valid_names() -> None:
    with pytest.raises(UsageError, match="unknown backend 'nvidai'.*nvidia"):
        load_backend_class("nvidai")
    with pytest.raises(UsageError):
        validate_backend_names(["mock", "bogus"])
