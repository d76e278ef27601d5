"""The top-level `allsmi` command line: options that come before any subcommand."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from allsmi_py import __version__
from allsmi_py.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_version_prints_name_and_version_and_exits_0(
        flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([flag])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"allsmi {__version__}\n"


def test_version_as_a_user_runs_it() -> None:
    result = subprocess.run([sys.executable, "-m", "allsmi_py", "-V"], capture_output=True,
                            text=True, cwd=ROOT, timeout=60)
    assert (result.returncode, result.stdout, result.stderr) == (0, f"allsmi {__version__}\n", "")
