"""Hostile values given to `allsmi service install`: one line and exit 2, nothing written."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from allsmi_py.cli import main
from tests.allsmi_py.service.systemd_tools import exec_start_words, fake_allsmi


@pytest.fixture(autouse=True)
def _running_allsmi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", [str(fake_allsmi(tmp_path / "bin"))])
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str], *words: str) -> str:
    code = main(["service", *argv])
    captured = capsys.readouterr()
    assert code == 2, captured
    lines = captured.err.splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert captured.out == ""
    return lines[0]


@pytest.mark.parametrize("port", ["0", "70000", "-1", "nan", "1e3", "9100x"])
def test_ports_outside_the_range_are_refused_by_the_settings_range(
        capsys: pytest.CaptureFixture[str], port: str) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["service", "install", "--dry-run", "--port", port])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "api.port" in err and "1 and 65535" in err, err


@pytest.mark.parametrize("bind", ["127.0.0.1\nExecStartPre=/bin/sh -c id", "::1\r", "\x00",
                                  "a\x1bb"])
def test_control_characters_in_values_are_refused(capsys: pytest.CaptureFixture[str],
                                                  bind: str) -> None:
    _refused(["install", "--dry-run", "--bind", bind], capsys, "control character")
    _refused(["install", "--dry-run", "--mock", bind], capsys, "control character")


def test_a_token_with_a_newline_is_refused_without_being_shown(
        capsys: pytest.CaptureFixture[str]) -> None:
    line = _refused(["install", "--dry-run", "--auth-token", "abc\ndef"], capsys,
                    "ALLSMI_API_AUTH_TOKEN")
    assert "abc" not in line


def test_basic_auth_without_a_colon_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    _refused(["install", "--dry-run", "--basic-auth", "nocolon"], capsys, "USER:PASSWORD")


def test_secrets_for_launchd_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    _refused(["install", "--dry-run", "--manager", "launchd", "--auth-token", "t"], capsys,
             "api.auth_token")


def test_empty_bind_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    _refused(["install", "--dry-run", "--bind", " "], capsys, "--bind")


def test_an_executable_path_systemd_cannot_run_is_refused(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "argv", [str(fake_allsmi(tmp_path / 'quo"te'))])
    _refused(["install", "--dry-run"], capsys, "plainer path")


def test_tls_files_that_do_not_load_are_refused_before_install(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "c.pem").write_text("not a certificate")
    _refused(["install", "--user", "--no-start", "--tls-cert", str(tmp_path / "c.pem"),
              "--tls-key", str(tmp_path / "c.pem")], capsys, "cannot load TLS")
    assert not (tmp_path / "home/.config/systemd/user/allsmi-api.service").exists()


@pytest.mark.parametrize("value", ['"; rm -rf / #', "$(id)", "${HOME}", "%n%i", "a\\b\\\"c",
                                   "' '", "--port=1"])
def test_shell_and_systemd_syntax_in_values_reaches_the_program_as_data(
        capsys: pytest.CaptureFixture[str], value: str) -> None:
    assert main(["service", "install", "--dry-run", f"--bind={value}", f"--mock={value}"]) == 0
    words = exec_start_words(capsys.readouterr().out)
    assert words[1:] == ["api", "--bind", value, "--mock", value]
