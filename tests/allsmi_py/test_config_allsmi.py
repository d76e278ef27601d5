"""all-smi's config.toml and ALL_SMI_* variables as a fallback (issue 19 item 5f)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from allsmi_py.config import load_config
from allsmi_py.config_allsmi import MAX_FILE_BYTES, read_allsmi, search_paths

ALLSMI_TOML = """\
schema_version = 1

[general]
default_mode = "view"
theme = "light"
locale = "en"

[view]
hostfile = "/etc/all-smi/hosts.csv"
interval_secs = 3

[api]
port = 9300
socket = true
processes = true

[alerts]
temp_warn_c = 85
util_idle_warn_mins = 30
webhook_url = "https://hooks.example/T0/secret"

[energy]
price_per_kwh = 0.21
wal_path = "~/.cache/all-smi/energy-wal.bin"
"""


def _env(tmp_path: Path, text: str | None = ALLSMI_TOML, **extra: str) -> dict[str, str]:
    home = tmp_path / "home"
    (home / ".config").mkdir(parents=True)
    if text is not None:
        folder = home / ".config" / "all-smi"
        folder.mkdir()
        (folder / "config.toml").write_text(text)
    return {"HOME": str(home), **extra}


def test_a_switching_user_keeps_the_settings_both_tools_have(tmp_path: Path) -> None:
    config = load_config(environ=_env(tmp_path))
    assert config.get("view", "interval_s") == 3.0
    assert config.source("view", "interval_s") == "all-smi"
    assert config.get("view", "hostfile") == "/etc/all-smi/hosts.csv"
    assert (config.get("api", "port"), config.get("api", "processes")) == (9300, True)
    assert config.get("general", "theme") == "light"
    assert config.get("alerts", "temp_warn_c") == 85.0
    assert config.get("alerts", "util_low_mins") == 30.0
    assert config.get("alerts", "webhook_url") == "https://hooks.example/T0/secret"
    assert config.get("energy", "price_per_kwh") == 0.21
    using, ignored = config.notes
    assert using == ("allsmi: using general.theme=light, view.hostfile=/etc/all-smi/hosts.csv, "
                     "view.interval_s=3, api.port=9300, api.processes=true, "
                     "alerts.temp_warn_c=85, alerts.util_low_mins=30, "
                     "alerts.webhook_url=<redacted> and 1 more "
                     "from all-smi's ~/.config/all-smi/config.toml")
    assert "secret" not in using + ignored
    for left_out in ("[general] default_mode", "[general] locale", "[api] socket",
                     "[energy] wal_path"):
        assert left_out in ignored


def test_the_one_line_of_the_issue(tmp_path: Path) -> None:
    config = load_config(environ=_env(tmp_path, "[view]\ninterval_secs = 3\n"))
    assert config.notes == (
        "allsmi: using view.interval_s=3 from all-smi's ~/.config/all-smi/config.toml",)


def test_our_own_settings_win_and_then_nothing_is_said(tmp_path: Path) -> None:
    env = _env(tmp_path, "[view]\ninterval_secs = 3\n", ALLSMI_API_PORT="9999")
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")
    (tmp_path / "xdg" / "allsmi").mkdir(parents=True)
    (tmp_path / "xdg" / "allsmi" / "config.yaml").write_text("view:\n  interval_s: 7\n")
    (tmp_path / "xdg" / "all-smi").mkdir()
    (tmp_path / "xdg" / "all-smi" / "config.toml").write_text(
        "[view]\ninterval_secs = 3\n[api]\nport = 9300\n")
    config = load_config(environ=env)
    assert (config.get("view", "interval_s"), config.source("view", "interval_s")) == (7.0, "file")
    assert (config.get("api", "port"), config.source("api", "port")) == (9999, "env")
    assert config.notes == ()


def test_a_config_named_on_the_command_line_is_the_whole_story(tmp_path: Path) -> None:
    ours = tmp_path / "named.yaml"
    ours.write_text("api:\n  port: 9100\n")
    config = load_config(ours, environ=_env(tmp_path, ALL_SMI_VIEW_INTERVAL_SECS="4"))
    assert config.get("view", "interval_s") == 2.0 and config.notes == ()


def test_variables_over_the_file_and_canonical_over_legacy(tmp_path: Path) -> None:
    env = _env(tmp_path, ALL_SMI_VIEW_INTERVAL_SECS="4", ALL_SMI_ALERT_TEMP="82",
               ALL_SMI_ALERTS_TEMP_WARN_C="83", ALL_SMI_ENERGY_PRICE="0.3",
               ALL_SMI_VIEW_HOSTS="a:9090, b:9090,", ALL_SMI_AUTH_TOKEN="tok-123")
    config = load_config(environ=env)
    assert config.get("view", "interval_s") == 4.0
    assert config.get("alerts", "temp_warn_c") == 83.0
    assert config.get("energy", "price_per_kwh") == 0.3
    assert config.get("view", "hosts") == ["a:9090", "b:9090"]
    assert config.get("view", "auth_token") == "tok-123"
    text = "\n".join(config.notes)
    assert "view.interval_s=4 from all-smi's ALL_SMI_VIEW_INTERVAL_SECS" in text
    assert "view.auth_token=<redacted> from all-smi's ALL_SMI_AUTH_TOKEN" in text
    assert "tok-123" not in text


@pytest.mark.parametrize("platform, expected", [
    ("linux", ["/x/all-smi/config.toml", "/etc/all-smi/config.toml"]),
    ("darwin", ["/h/Library/Application Support/all-smi/config.toml",
                "/h/.config/all-smi/config.toml",
                "/Library/Application Support/all-smi/config.toml"]),
    ("win32", ["C:/Users/u/AppData/Roaming/all-smi/config.toml",
               "C:/ProgramData/all-smi/config.toml"]),
])
def test_all_smi_documented_paths(platform: str, expected: list[str]) -> None:
    env = {"HOME": "/h", "XDG_CONFIG_HOME": "/x", "APPDATA": "C:/Users/u/AppData/Roaming",
           "PROGRAMDATA": "C:/ProgramData"}
    assert [p.as_posix() for p in search_paths(env, platform)] == expected
    assert search_paths({"HOME": "/h"}, "linux")[0] == Path("/h/.config/all-smi/config.toml")


HOSTILE = {
    "not TOML": "[view\ninterval_secs = 3",
    "binary": "\x00\x01\x02[view]",
    "wrong types": '[view]\ninterval_secs = "fast"\nhosts = [1, 2]\n[api]\nprocesses = "yes"\n',
    "out of range": "[alerts]\ntemp_warn_c = 500\n[api]\nport = 70000\n",
    "zero is adaptive or off": "[view]\ninterval_secs = 0\n[api]\nport = 0\n",
    "a theme we lack": '[general]\ntheme = "high-contrast"\n',
    "sections that are not tables": "view = 3\ngeneral = [1]\n",
    "nested deep": "[view]\nhosts = " + "[" * 5000 + "]" * 5000 + "\n",
    "control characters": '[view]\nhostfile = "a\\u001b[2Jb"\n',
}


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_file_changes_nothing_and_never_fails(tmp_path: Path, name: str) -> None:
    config = load_config(environ=_env(tmp_path, HOSTILE[name]))
    defaults = load_config(environ={})
    assert config.as_dict() == defaults.as_dict(), name
    assert config.notes == ()  # nothing taken, so nothing to say
    fallback = read_allsmi(_env(tmp_path / "again", HOSTILE[name]))
    assert fallback.values == {} and fallback.ignored, name
    for line in fallback.notes(set()):
        assert line.isprintable() and "\x1b" not in line


def test_an_oversized_file_is_not_read(tmp_path: Path) -> None:
    text = "[view]\ninterval_secs = 3\n" + "#" * MAX_FILE_BYTES
    fallback = read_allsmi(_env(tmp_path, text))
    assert fallback.values == {}
    assert any(f"larger than {MAX_FILE_BYTES} bytes" in entry for entry in fallback.ignored)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_or_a_folder_in_its_place_is_passed_over(tmp_path: Path) -> None:
    env = _env(tmp_path, None)
    folder = Path(env["HOME"]) / ".config" / "all-smi"
    folder.mkdir()
    os.mkfifo(folder / "config.toml")  # opening it for reading would block
    assert read_allsmi(env).values == {}
    (folder / "config.toml").unlink()
    (folder / "config.toml").mkdir()
    assert read_allsmi(env).values == {}


def test_a_value_in_range_beside_a_refused_one_is_still_taken(tmp_path: Path) -> None:
    fallback = read_allsmi(_env(tmp_path, "[alerts]\ntemp_warn_c = 500\ntemp_crit_c = 95\n"))
    assert fallback.values == {("alerts", "temp_crit_c"): 95.0}
    assert fallback.ignored == ("[alerts] temp_warn_c=500",)
