"""The secrets file systemd reads (EnvironmentFile=) gives back every value exactly."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from allsmi_py.errors import UsageError
from allsmi_py.service.systemd import render_environment_file

HOSTILE_VALUES = ["plain", "with space", 'dq"uote', "sq'uote", "back\\slash", "$HOME",
                  "`id`", "$(id)", "#hash", "a=b", "trailing\\", "  padded  ", "ünï", "%d"]


@pytest.mark.skipif(shutil.which("sh") is None, reason="no POSIX sh")
@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_values_survive_shell_reading_which_systemd_follows(tmp_path: Path,
                                                            value: str) -> None:
    # systemd.exec(5): EnvironmentFile= follows shell double-quote rules (\\ \" \$ \`).
    path = tmp_path / "api.env"
    path.write_text(render_environment_file({"ALLSMI_API_AUTH_TOKEN": value,
                                             "ALLSMI_API_BASIC_AUTH": "u:" + value}))
    done = subprocess.run(
        ["sh", "-c", 'set -a; . "$1"; printf "%s\\n%s" "$ALLSMI_API_AUTH_TOKEN" '
         '"$ALLSMI_API_BASIC_AUTH"', "sh", str(path)],
        capture_output=True, text=True, timeout=10, check=True, env={})
    assert done.stdout == f"{value}\nu:{value}"


@pytest.mark.parametrize("value", ["line\nbreak", "cr\r", "nul\x00"])
def test_control_characters_are_refused_without_showing_the_secret(value: str) -> None:
    with pytest.raises(UsageError) as caught:
        render_environment_file({"ALLSMI_API_AUTH_TOKEN": value})
    assert "ALLSMI_API_AUTH_TOKEN" in str(caught.value)
    assert value.strip() not in str(caught.value)
