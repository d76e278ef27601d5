"""install / uninstall / status into a temporary root with a recorded systemctl/launchctl."""

from __future__ import annotations

import http.server
import io
import shutil
import stat
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from allsmi_py.errors import UsageError
from allsmi_py.service.manage import (
    EXIT_FAILED,
    EXIT_NOT_RUNNING,
    Completed,
    Host,
    first_closed_to_others,
    install,
    render,
    status,
    uninstall,
    write_atomic,
)
from allsmi_py.service.spec import ApiOptions
from tests.allsmi_py.service.recorder import RecordingRunner, temp_host

EXE = ("/opt/allsmi/bin/allsmi",)
SYSTEM_UNIT = "root/etc/systemd/system/allsmi-api.service"
SYSTEM_ENV = "root/etc/allsmi/api.env"


def _install(host: Host, options: ApiOptions, *, system: bool = True,
             start: bool = True) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = install(render(options, host, system=system, executable=EXE), host, start=start,
                   out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_system_install_writes_the_files_and_enables_the_unit(tmp_path: Path) -> None:
    runner = RecordingRunner()
    host = temp_host(tmp_path, runner)
    code, out, err = _install(host, ApiOptions(port=9100, secrets={"auth_token": "t0k"}))
    assert (code, err) == (0, "")
    unit, env = tmp_path / SYSTEM_UNIT, tmp_path / SYSTEM_ENV
    assert _mode(unit) == 0o644 and _mode(env) == 0o600
    assert "t0k" not in unit.read_text() and 't0k"' in env.read_text()
    assert f"EnvironmentFile={env}" in unit.read_text().splitlines()
    assert runner.calls == [["systemctl", "daemon-reload"],
                            ["systemctl", "enable", "--now", "allsmi-api.service"]]
    assert f"wrote {unit}" in out and "started allsmi-api.service" in out
    assert not [p for p in unit.parent.iterdir() if p.name.startswith(".")]  # no temp left


def test_reinstall_restarts_so_the_new_unit_takes_effect(tmp_path: Path) -> None:
    runner = RecordingRunner()
    host = temp_host(tmp_path, runner)
    _install(host, ApiOptions(port=9100))
    runner.calls.clear()
    assert _install(host, ApiOptions(port=9200))[0] == 0
    assert runner.calls[-1] == ["systemctl", "restart", "allsmi-api.service"]
    assert "--port 9200" in (tmp_path / SYSTEM_UNIT).read_text()


def test_reinstall_without_secrets_removes_the_old_secrets_file(tmp_path: Path) -> None:
    host = temp_host(tmp_path, RecordingRunner())
    _install(host, ApiOptions(secrets={"auth_token": "old"}))
    assert (tmp_path / SYSTEM_ENV).exists()
    code, out, _ = _install(host, ApiOptions())
    assert code == 0 and f"removed {tmp_path / SYSTEM_ENV}" in out
    assert not (tmp_path / SYSTEM_ENV).exists()
    assert "EnvironmentFile" not in (tmp_path / SYSTEM_UNIT).read_text()


def test_user_install_goes_to_the_users_manager(tmp_path: Path) -> None:
    runner = RecordingRunner()
    host = temp_host(tmp_path, runner, euid=1000)  # no root needed
    assert _install(host, ApiOptions(), system=False)[0] == 0
    assert (tmp_path / "home/.config/systemd/user/allsmi-api.service").is_file()
    assert runner.calls == [["systemctl", "--user", "daemon-reload"],
                            ["systemctl", "--user", "enable", "--now", "allsmi-api.service"]]


def test_system_install_without_root_is_refused_before_writing(tmp_path: Path) -> None:
    runner = RecordingRunner()
    with pytest.raises(UsageError, match="needs root.*--user"):
        _install(temp_host(tmp_path, runner, euid=1000), ApiOptions())
    assert runner.calls == [] and not (tmp_path / SYSTEM_UNIT).exists()


def test_no_start_writes_and_runs_nothing(tmp_path: Path) -> None:
    runner = RecordingRunner()
    code, out, _ = _install(temp_host(tmp_path, runner), ApiOptions(), start=False)
    assert code == 0 and runner.calls == []
    assert "systemctl enable --now allsmi-api.service" in out


def test_a_failing_systemctl_is_one_line_and_exit_1(tmp_path: Path) -> None:
    runner = RecordingRunner({"enable": Completed(1, "Failed to enable unit: Access denied\n"
                                                     "more detail")})
    code, _, err = _install(temp_host(tmp_path, runner), ApiOptions())
    assert code == EXIT_FAILED
    assert err == ("allsmi service: 'systemctl enable --now allsmi-api.service' failed "
                   "(exit 1): Failed to enable unit: Access denied\n")


def test_uninstall_stops_disables_removes_and_reloads(tmp_path: Path) -> None:
    runner = RecordingRunner()
    host = temp_host(tmp_path, runner)
    _install(host, ApiOptions(secrets={"basic_auth": "u:p"}))
    runner.calls.clear()
    out = io.StringIO()
    assert uninstall(host, system=True, out=out, err=io.StringIO()) == 0
    assert runner.calls == [["systemctl", "disable", "--now", "allsmi-api.service"],
                            ["systemctl", "daemon-reload"]]
    assert not (tmp_path / SYSTEM_UNIT).exists() and not (tmp_path / SYSTEM_ENV).exists()
    runner.calls.clear()
    out = io.StringIO()
    assert uninstall(host, system=True, out=out, err=io.StringIO()) == 0
    assert runner.calls == [] and "not installed" in out.getvalue()


def test_uninstall_removes_the_files_even_when_stopping_fails(tmp_path: Path) -> None:
    runner = RecordingRunner()
    host = temp_host(tmp_path, runner)
    _install(host, ApiOptions())
    runner.answers["disable"] = Completed(5, "Unit allsmi-api.service not loaded.")
    err = io.StringIO()
    assert uninstall(host, system=True, out=io.StringIO(), err=err) == EXIT_FAILED
    assert not (tmp_path / SYSTEM_UNIT).exists()
    assert "not loaded" in err.getvalue()


def test_uninstall_without_root_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="removing the system service needs root"):
        uninstall(temp_host(tmp_path, RecordingRunner(), euid=1000), system=True,
                  out=io.StringIO(), err=io.StringIO())


def test_launchd_agent_install_and_uninstall(tmp_path: Path) -> None:
    runner = RecordingRunner()
    host = temp_host(tmp_path, runner, manager="launchd", euid=501)
    assert _install(host, ApiOptions(port=9100), system=False)[0] == 0
    plist = tmp_path / "home/Library/LaunchAgents/org.allsmi.api.plist"
    assert runner.calls == [["launchctl", "bootstrap", "gui/501", str(plist)]]
    runner.calls.clear()
    _install(host, ApiOptions(port=9100), system=False)
    assert runner.calls == [["launchctl", "bootout", "gui/501/org.allsmi.api"],
                            ["launchctl", "bootstrap", "gui/501", str(plist)]]
    runner.calls.clear()
    assert uninstall(host, system=False, out=io.StringIO(), err=io.StringIO()) == 0
    assert runner.calls == [["launchctl", "bootout", "gui/501/org.allsmi.api"]]
    assert not plist.exists()


def test_launchd_reinstall_tolerates_a_label_already_gone(tmp_path: Path) -> None:
    runner = RecordingRunner()
    host = temp_host(tmp_path, runner, manager="launchd")
    _install(host, ApiOptions())
    runner.answers["bootout"] = Completed(3, "Boot-out failed: 3: No such process")
    assert _install(host, ApiOptions())[0] == 0
    assert runner.calls[-1][:3] == ["launchctl", "bootstrap", "system"]


@pytest.fixture
def healthz() -> Iterator[tuple[int, list[int]]]:
    """(port, [status to answer]) of a real loopback server answering GET /healthz."""
    answer = [200]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self.send_response(answer[0] if self.path == "/healthz" else 404)
            self.send_header("Content-Length", "3")
            self.end_headers()
            self.wfile.write(b"ok\n")

        def log_message(self, *_: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], answer
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _status(host: Host, port: int) -> tuple[int, list[str]]:
    out = io.StringIO()
    code = status(host, system=True, health_host="127.0.0.1", port=port, out=out)
    return code, out.getvalue().splitlines()


def test_status_of_a_running_healthy_service(tmp_path: Path,
                                             healthz: tuple[int, list[int]]) -> None:
    port, _ = healthz
    runner = RecordingRunner({"is-enabled": Completed(0, "enabled"),
                              "is-active": Completed(0, "active")})
    host = temp_host(tmp_path, runner)
    _install(host, ApiOptions(port=port))
    code, lines = _status(host, port)
    assert code == 0
    assert lines == [f"allsmi-api.service: installed at {tmp_path / SYSTEM_UNIT}",
                     "enabled: enabled", "active: active",
                     f"health: http://127.0.0.1:{port}/healthz answers 200"]


def test_status_says_what_is_wrong(tmp_path: Path, healthz: tuple[int, list[int]]) -> None:
    port, answer = healthz
    runner = RecordingRunner({"is-active": Completed(3, "inactive")})
    host = temp_host(tmp_path, runner)
    assert _status(host, port)[0] == EXIT_NOT_RUNNING  # not installed
    _install(host, ApiOptions())
    code, lines = _status(host, port)
    assert code == EXIT_NOT_RUNNING and "active: inactive" in lines
    runner.answers.clear()
    answer[0] = 503
    code, lines = _status(host, port)
    assert code == EXIT_NOT_RUNNING and lines[-1].endswith("answers 503")


def test_status_of_a_port_nobody_answers(tmp_path: Path) -> None:
    import socket

    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    host = temp_host(tmp_path, RecordingRunner())
    _install(host, ApiOptions())
    code, lines = _status(host, port)
    assert code == EXIT_NOT_RUNNING and "does not answer" in lines[-1]


def test_launchd_status_reads_the_state(tmp_path: Path, healthz: tuple[int, list[int]]) -> None:
    port, _ = healthz
    runner = RecordingRunner({"print": Completed(0, "org.allsmi.api = {\n\tstate = running\n}")})
    host = temp_host(tmp_path, runner, manager="launchd")
    _install(host, ApiOptions())
    code, lines = _status(host, port)
    assert code == 0 and lines[1] == "launchd: loaded, running"
    runner.answers["print"] = Completed(113, "Could not find service")
    assert _status(host, port)[1][1] == "launchd: not loaded, not running"


def test_write_atomic_replaces_whole_and_tightens_the_mode(tmp_path: Path) -> None:
    path = tmp_path / "deep/dir/api.env"
    write_atomic(path, b"old", 0o644)
    write_atomic(path, b"new", 0o600)
    assert path.read_bytes() == b"new" and _mode(path) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["api.env"]


def test_write_atomic_into_an_unwritable_place_is_a_usage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(UsageError, match="cannot write"):
        write_atomic(blocker / "sub" / "x", b"", 0o600)



@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A fresh directory every user may pass through, up to /: pytest's own tmp is 0700."""
    path = Path(tempfile.mkdtemp(prefix="allsmi-service-"))
    path.chmod(0o755)
    if any(not p.stat().st_mode & stat.S_IXOTH for p in path.parents):
        pytest.skip(f"the temporary directory {path.parent} is closed to other users")
    try:
        yield path
    finally:
        for inner in sorted(path.rglob("*"), reverse=True):
            inner.chmod(0o700)
        shutil.rmtree(path)


def _script(path: Path, mode: int = 0o755) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(mode)
    return path


def test_an_executable_the_dynamic_user_cannot_reach_is_warned_about(tmp_path: Path,
                                                                    open_dir: Path) -> None:
    private = open_dir / "root-home"
    executable = _script(private / ".venv/bin/allsmi")
    private.chmod(0o700)
    host = temp_host(tmp_path, RecordingRunner())
    err = io.StringIO()
    rendered = render(ApiOptions(), host, system=True, executable=(str(executable),))
    assert install(rendered, host, start=False, out=io.StringIO(), err=err) == 0
    assert err.getvalue().startswith(f"allsmi service: warning: {private} is closed")
    assert len(err.getvalue().splitlines()) == 1
    # The user's own service runs as that user: nothing to warn about.
    err = io.StringIO()
    rendered = render(ApiOptions(), host, system=False, executable=(str(executable),))
    install(rendered, host, start=False, out=io.StringIO(), err=err)
    assert err.getvalue() == ""


@pytest.mark.parametrize(("dir_mode", "file_mode", "blocked"), [
    (0o755, 0o755, None), (0o711, 0o755, None), (0o750, 0o755, "bin"),
    (0o755, 0o750, "allsmi"), (0o755, 0o711, "allsmi"), (0o755, 0o744, "allsmi")])
def test_first_closed_to_others_finds_the_blocking_part(open_dir: Path, dir_mode: int,
                                                        file_mode: int,
                                                        blocked: str | None) -> None:
    executable = _script(open_dir / "bin/allsmi", file_mode)
    executable.parent.chmod(dir_mode)
    found = first_closed_to_others(executable)
    assert (found.name if found else None) == blocked


def test_the_real_runner_reports_status_output_and_missing_tools(tmp_path: Path) -> None:
    from allsmi_py.service.manage import TOOL_OUTPUT_CHARS_MAX, run_tool

    assert run_tool(["sh", "-c", "echo out; echo err >&2; exit 3"]) == Completed(3, "out\nerr")
    missing = run_tool([str(tmp_path / "no-systemctl"), "daemon-reload"])
    assert missing.returncode == 127 and "not found" in missing.output
    flood = run_tool(["sh", "-c", "yes | head -c 1000000"])
    assert flood.returncode == 0 and len(flood.output) <= TOOL_OUTPUT_CHARS_MAX
    assert run_tool(["sh", "-c", "printf '\\377\\376 bytes'"]).output == "\ufffd\ufffd bytes"
