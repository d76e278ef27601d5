"""`allsmi service install|uninstall|status` from the command line (issue 18 item 4)."""

from __future__ import annotations

import argparse
import io
import socket
import sys
from pathlib import Path

import pytest

from allsmi_py.cli import _Parser, main
from allsmi_py.commands import service
from allsmi_py.config import Config, load_config
from allsmi_py.service.spec import current_executable
from tests.allsmi_py.service.recorder import RecordingRunner, temp_host
from tests.allsmi_py.service.systemd_tools import (
    exec_start_words,
    fake_allsmi,
    needs_systemd_analyze,
    verify,
)


def _allsmi(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def running_allsmi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """sys.argv[0] as when a user runs the allsmi of a venv whose path has a space."""
    executable = fake_allsmi(tmp_path / "my venv" / "bin")
    monkeypatch.setattr(sys, "argv", [str(executable)])
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return executable


@needs_systemd_analyze
def test_dry_run_prints_a_unit_that_verifies(capsys: pytest.CaptureFixture[str],
                                             running_allsmi: Path, tmp_path: Path) -> None:
    code, out, err = _allsmi(["service", "install", "--dry-run", "--port", "9100",
                              "--processes", "--auth-token", "s3cret"], capsys)
    assert code == 0
    assert "s3cret" not in out + err
    assert err == ("# ALLSMI_API_AUTH_TOKEN: written to /etc/allsmi/api.env (0600), "
                   "not into the unit\n")
    assert exec_start_words(out) == [str(running_allsmi), "api", "--port", "9100",
                                     "--processes"]
    assert verify(out, tmp_path / "units") == (0, "")


def test_dry_run_for_launchd_prints_a_plist(capsys: pytest.CaptureFixture[str],
                                            running_allsmi: Path) -> None:
    import plistlib

    code, out, _ = _allsmi(["service", "install", "--dry-run", "--user", "--manager",
                            "launchd", "--bind", "127.0.0.1"], capsys)
    assert code == 0
    plist = plistlib.loads(out.encode())
    assert plist["ProgramArguments"] == [str(running_allsmi), "api", "--bind", "127.0.0.1"]


def test_relative_tls_paths_become_absolute(capsys: pytest.CaptureFixture[str],
                                            running_allsmi: Path,
                                            monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = _allsmi(["service", "install", "--dry-run", "--tls-cert", "c.pem",
                            "--tls-key", "k.pem"], capsys)
    assert code == 0
    assert f"LoadCredential=tls-key:{tmp_path}/k.pem" in out.splitlines()


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = _Parser(prog="allsmi service")
    service.add_arguments(parser)
    return parser.parse_args(argv)


def test_install_and_uninstall_through_the_command(tmp_path: Path) -> None:
    runner = RecordingRunner()
    host = temp_host(tmp_path, runner)
    out, err = io.StringIO(), io.StringIO()
    args = _parse(["install", "--port", "9100", "--basic-auth", "u:p w"])
    code = service.run_on(args, _empty_config(tmp_path), host, out=out, err=err,
                          executable=("/usr/bin/allsmi",))
    assert code == 0, err.getvalue()
    env = tmp_path / "root/etc/allsmi/api.env"
    assert env.read_text() == 'ALLSMI_API_BASIC_AUTH="u:p w"\n'
    args = _parse(["uninstall"])
    assert service.run_on(args, _empty_config(tmp_path), host, out=out, err=err) == 0
    assert not env.exists()
    assert runner.calls[-2:] == [["systemctl", "disable", "--now", "allsmi-api.service"],
                                 ["systemctl", "daemon-reload"]]


def _empty_config(tmp_path: Path) -> Config:
    path = tmp_path / "config.yaml"
    path.write_text("")
    return load_config(path, environ={})


def test_executable_is_the_allsmi_running_now(tmp_path: Path) -> None:
    real = fake_allsmi(tmp_path / "venv/bin")
    link = tmp_path / "allsmi"
    link.symlink_to(real)
    assert current_executable(str(link)) == (str(real),)
    assert current_executable(str(tmp_path / "pkg/allsmi_py/__main__.py")) == (
        sys.executable, "-m", "allsmi_py")


def test_system_install_as_a_user_is_one_line_exit_2(capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     running_allsmi: Path,
                                                     tmp_path: Path) -> None:
    runner = RecordingRunner()
    monkeypatch.setattr(service, "this_host", lambda: temp_host(tmp_path, runner, euid=1000))
    code, out, err = _allsmi(["service", "install", "--port", "9100"], capsys)
    assert code == 2 and out == "" and runner.calls == []
    assert err == ("allsmi: error: installing the system service needs root: run it with "
                   "sudo, or add --user for a service of your own\n")
    assert not (tmp_path / "root/etc").exists()
    code, out, err = _allsmi(["service", "install", "--user", "--port", "9100"], capsys)
    assert code == 0, err
    assert runner.calls[-1] == ["systemctl", "--user", "enable", "--now", "allsmi-api.service"]


def test_status_through_the_command_uses_the_config_port(capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    monkeypatch.setattr(service, "this_host", lambda: temp_host(tmp_path, RecordingRunner()))
    with socket.socket() as unused:  # a port nobody answers on
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    monkeypatch.setenv("ALLSMI_API_PORT", str(port))
    code, out, _ = _allsmi(["service", "status"], capsys)
    assert code == 3 and "not installed" in out
    (tmp_path / "root/etc/systemd/system").mkdir(parents=True)
    (tmp_path / "root/etc/systemd/system/allsmi-api.service").write_text("")
    code, out, _ = _allsmi(["service", "status", "--host", "127.0.0.1"], capsys)
    assert code == 3 and f":{port}/healthz does not answer" in out.splitlines()[-1]
