"""Configuration precedence (flag > env > file > default) and one-line errors."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import yaml

from allsmi_py.cli import main
from allsmi_py.config import default_file_text, load_config, search_paths
from allsmi_py.errors import ConfigError
from allsmi_py.settings import NUMBERS, SCHEMA


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_defaults_when_nothing_is_set(tmp_path: Path) -> None:
    config = load_config(environ={"HOME": str(tmp_path)})
    assert config.path is None
    assert config.get("api", "port") == 9090
    assert config.source("api", "port") == "default"


def test_precedence_flag_env_file_default(tmp_path: Path) -> None:
    path = _write(tmp_path, "api:\n  port: 9100\n  interval_s: 5\nview:\n  hosts: [a, b]\n")
    env = {"ALLSMI_API_PORT": "9200", "HOME": str(tmp_path)}
    config = load_config(path, environ=env)
    assert config.get("api", "port") == 9200 and config.source("api", "port") == "env"
    assert config.get("api", "interval_s") == 5.0 and config.source("api", "interval_s") == "file"
    assert config.get("view", "hosts") == ["a", "b"]
    assert config.get("api", "bind") == "0.0.0.0"
    assert config.value("api", "port", 9300) == 9300
    assert config.value("api", "port", None) == 9200


def test_search_order_xdg_then_home_then_etc(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path / "home")}
    assert search_paths(env)[:2] == [tmp_path / "xdg/allsmi/config.yaml",
                                     tmp_path / "home/.config/allsmi/config.yaml"]
    assert search_paths(env)[-1] == Path("/etc/allsmi/config.yaml")
    home_file = tmp_path / "home/.config/allsmi/config.yaml"
    home_file.parent.mkdir(parents=True)
    home_file.write_text("local:\n  interval_s: 1.5\n")
    config = load_config(environ=env)
    assert config.path == home_file and config.get("local", "interval_s") == 1.5


def test_env_values_are_typed() -> None:
    config = load_config(environ={"ALLSMI_API_PROCESSES": "yes", "ALLSMI_VIEW_HOSTS": "a, b:9,",
                                  "ALLSMI_MOCK_SEED": "42", "HOME": "/nonexistent"})
    assert config.get("api", "processes") is True
    assert config.get("view", "hosts") == ["a", "b:9"]
    assert config.get("mock", "seed") == 42


@pytest.mark.parametrize("text,message", [
    ("api:\n  port: [1\n", r"line \d+: invalid YAML"),
    ("api:\n  port: 9090\n  prot: 1\n",
     r"line 3: unknown key api.prot \(did you mean api.port\?\); valid: port"),
    ("apii:\n  port: 1\n", r"line 1: unknown section 'apii'"),
    ("api:\n  port: high\n", r"line 2: api.port: expected an integer"),
    ("api:\n  processes: 3\n", r"line 2: api.processes: expected true or false"),
    ("- a\n- b\n", r"line 1: the file must be a mapping"),
])
def test_bad_files_name_file_line_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError, match=message) as info:
        load_config(path, environ={})
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_bad_env_value_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="ALLSMI_API_PORT"):
        load_config(environ={"ALLSMI_API_PORT": "ninety", "HOME": "/nonexistent"})


def test_every_number_has_a_range_that_holds_its_default() -> None:
    numeric = {f"{s}.{k}" for s, keys in SCHEMA.items() for k, v in keys.items()
               if v.kind in (int, float)}
    assert set(NUMBERS) == numeric
    for name, number in NUMBERS.items():
        section, key = name.split(".")
        default = SCHEMA[section][key].default
        assert default is None or number.check(default) == default, name


def test_ranges_read_as_words() -> None:
    assert NUMBERS["view.timeout_s"].allowed() == "a number more than 0 and at most 600 seconds"
    assert NUMBERS["api.port"].allowed() == "an integer between 1 and 65535"
    assert NUMBERS["view.interval_s"].allowed() == "a number between 0.05 and 3600 seconds"
    with pytest.raises(ValueError, match=r"^view.timeout_s: expected .*, got '1e309'$"):
        NUMBERS["view.timeout_s"].parse("1e309")


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml", environ={})


def test_default_file_holds_every_setting_and_loads_back(tmp_path: Path) -> None:
    data = yaml.safe_load(default_file_text())
    assert set(data) == set(SCHEMA)
    for section, keys in SCHEMA.items():
        assert set(data[section]) == set(keys)
    path = _write(tmp_path, default_file_text())
    config = load_config(path, environ={})
    assert all(config.source(s, k) == "file" for s in SCHEMA for k in SCHEMA[s])


def test_cli_reports_a_bad_config_in_one_line_with_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "api:\n  port: high\n")
    assert main(["--config", str(path), "snapshot", "--mock", "h100:1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "line 2" in err and "api.port" in err


def test_config_init_path_and_print(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert main(["config", "init"]) == 0
    written = tmp_path / "allsmi" / "config.yaml"
    assert written.is_file()
    assert main(["config", "init"]) == 2  # refuses to overwrite without --force
    capsys.readouterr()
    assert main(["config", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(written)
    monkeypatch.setenv("ALLSMI_API_PORT", "9999")
    assert main(["config", "print"]) == 0
    assert yaml.safe_load(capsys.readouterr().out)["api"]["port"] == 9999


def test_config_init_writes_the_file_for_its_owner_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    old_mask = os.umask(0o022)
    try:
        assert main(["config", "init"]) == 0
        written = tmp_path / "allsmi" / "config.yaml"
        assert stat.S_IMODE(written.stat().st_mode) == 0o600
        assert written.read_text(encoding="utf-8") == default_file_text()
        written.chmod(0o644)
        assert main(["config", "init", "--force"]) == 0
        assert stat.S_IMODE(written.stat().st_mode) == 0o600
    finally:
        os.umask(old_mask)
