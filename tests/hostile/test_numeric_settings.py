"""Every numeric setting refuses inf, NaN, out-of-range and garbage values the same way.

Whichever way a value comes (command-line flag, ALLSMI_* variable, config file), the user
gets exit 2 and one stderr line naming the setting, the value and the allowed range; never
a traceback, a dead collector thread or a round where every node "timed out" (issue 14,
item 10). The mock server's flags and admin API refuse the same kind of values.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from allsmi_py.cli import COMMANDS, _Parser, main
from mock_server.admin import AdminApi
from mock_server.cli import main as mock_main
from mock_server.cluster import Cluster
from mock_server.plan import build_plan
from tests.prometheus_util import REPO, free_port, isolated_env


@dataclass(frozen=True)
class Case:
    """One numeric setting as a user meets it: its name, flags and allowed range."""

    name: str  # section.key
    flags: tuple[tuple[str, str], ...]  # (command, flag) pairs that set it
    low: str  # the smallest allowed value, as the error message writes it
    high: str
    too_low: str  # just outside the range
    too_high: str
    valid: str
    integer: bool = False

    @property
    def env(self) -> str:
        """The ALLSMI_<SECTION>_<KEY> variable of the setting."""
        return "ALLSMI_" + self.name.replace(".", "_").upper()


CASES = [
    Case("local.interval_s", (("local", "--interval"),), "0.05", "3600", "0.049", "3601", "0.5"),
    Case("api.port", (("api", "--port"),), "1", "65535", "0", "65536", "9100", integer=True),
    Case("api.interval_s", (("api", "--interval"),), "0.05", "3600", "0.01", "3600.5", "1"),
    Case("view.interval_s", (("view", "--interval"),), "0.05", "3600", "0", "86400", "2"),
    Case("view.timeout_s", (("view", "--timeout"), ("snapshot", "--timeout")), "0", "600",
         "0", "601", "0.001"),
    Case("view.concurrency", (("view", "--concurrency"),), "1", "10000", "0", "10001", "8",
         integer=True),
    Case("view.max_body_bytes", (), "1024", "1073741824", "1023", str(2**30 + 1), "65536",
         integer=True),
    Case("alerts.temp_warn_c", (), "0", "200", "-0.5", "201", "85"),
    Case("alerts.temp_crit_c", (), "0", "200", "-1", "200.5", "95"),
    Case("alerts.hysteresis_c", (), "0", "50", "-0.1", "51", "0"),
    Case("alerts.power_warn_pct", (), "0", "1000", "0", "1001", "90"),
    Case("energy.price_per_kwh", (), "0", "1000000", "-0.01", "1000001", "0.25"),
    Case("energy.max_gap_s", (), "1", "3600", "0.5", "3601", "30"),
    Case("mock.seed", (("snapshot", "--seed"), ("local", "--seed"), ("api", "--seed")),
         "0", "9223372036854775807", "-1", str(2**63), "0", integer=True),
]
HUGE_INT = "9" * 400  # parses as an int; as a float it overflows to inf
# Every one of these is refused by every numeric setting, whatever its range.
ALWAYS_BAD = ["inf", "-inf", "nan", "NaN", "infinity", "1e309", "-1e309", HUGE_INT, "9" * 5000,
              "abc", "", "0x10", "1,5"]
# The same values as a YAML file writes them (".inf" is YAML's infinity, "inf" a string).
ALWAYS_BAD_YAML = [".inf", "-.inf", ".nan", "1.0e+309", "1e309", HUGE_INT, "9" * 5000, "abc",
                   "'12'", "true", "[1, 2]", "{a: 1}"]


def _bad_values(case: Case) -> list[str]:
    return [*ALWAYS_BAD, case.too_low, case.too_high, "-1", *(["1.5"] if case.integer else [])]


def _ids(values: list[tuple[Case, str]]) -> list[str]:
    return [f"{c.name}={v[:12]!r}" for c, v in values]


FLAG_CASES = [(case, command, flag, value) for case in CASES for command, flag in case.flags
              for value in _bad_values(case)]
# ALLSMI_MOCK_SEED="" asks for a random seed, as `seed:` with no value in the file does.
ENV_CASES = [(case, value) for case in CASES for value in _bad_values(case)
             if not (case.name == "mock.seed" and value == "")]
FILE_CASES = [(case, value) for case in CASES
              for value in [*ALWAYS_BAD_YAML, case.too_low, case.too_high, "-1"]]


@pytest.fixture(autouse=True)
def _no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No ALLSMI_* variable and no config file but the ones a test writes."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / ".config"))
    for key in [k for k in os.environ if k.startswith("ALLSMI_")]:
        monkeypatch.delenv(key)


LONG_RUNNING = ("local", "api", "view")  # take over the terminal or serve until interrupted


def _accepted(args: object, config: object) -> int:
    raise AssertionError(f"the bad value reached the command: {args}")


def _allsmi(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the `allsmi` console script in process: (exit code, stdout, stderr)."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse errors leave through SystemExit
        code = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _assert_refused(code: int, err: str, *words: str) -> str:
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1 and err.endswith("\n"), err
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert len(lines[0]) < 400, lines[0]
    return lines[0]


def _shows_value(line: str, value: str) -> None:
    if 0 < len(value) <= 20:
        assert value in line, (value, line)


@pytest.mark.parametrize(("case", "command", "flag", "value"), FLAG_CASES,
                         ids=[f"{c}:{f}={v[:12]!r}" for _, c, f, v in FLAG_CASES])
def test_bad_flag_value_is_one_line_exit_2(capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch, case: Case,
                                           command: str, flag: str, value: str) -> None:
    if command in LONG_RUNNING:  # a value let through must fail the test, not open a TUI
        monkeypatch.setattr(importlib.import_module(COMMANDS[command][0]), "run", _accepted)
    code, out, err = _allsmi([command, f"{flag}={value}"], capsys)
    line = _assert_refused(code, err, flag, case.name, case.low, case.high)
    assert out == ""
    _shows_value(line, value)


@pytest.mark.parametrize(("case", "value"), ENV_CASES, ids=_ids(ENV_CASES))
def test_bad_environment_value_is_one_line_exit_2(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, case: Case,
        value: str) -> None:
    monkeypatch.setenv(case.env, value)
    # Every command loads the configuration first; `config print` would show the value.
    code, out, err = _allsmi(["config", "print"], capsys)
    line = _assert_refused(code, err, case.env, case.name, case.low, case.high)
    assert out == ""
    _shows_value(line, value)


@pytest.mark.parametrize(("case", "value"), FILE_CASES, ids=_ids(FILE_CASES))
def test_bad_file_value_is_one_line_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                           case: Case, value: str) -> None:
    section, key = case.name.split(".")
    path = tmp_path / "config.yaml"
    path.write_text(f"general:\n  theme: dark\n{section}:\n  {key}: {value}\n")
    code, out, err = _allsmi(["--config", str(path), "config", "print"], capsys)
    _assert_refused(code, err, str(path), "line 4", case.name, case.low, case.high)
    assert out == ""


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_valid_values_are_accepted_from_env_and_file(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        case: Case) -> None:
    section, key = case.name.split(".")
    expected = int(case.valid) if case.integer else float(case.valid)
    for low_or_high in (case.low, case.high):
        if case.name in ("view.timeout_s", "alerts.power_warn_pct") and low_or_high == "0":
            continue  # more than 0: the bound itself is refused
        monkeypatch.setenv(case.env, low_or_high)
        code, out, err = _allsmi(["config", "print"], capsys)
        assert code == 0 and err == "", err
    monkeypatch.setenv(case.env, case.valid)
    code, out, err = _allsmi(["config", "print"], capsys)
    assert code == 0 and err == "", err
    assert yaml.safe_load(out)[section][key] == expected
    if case.name == "mock.seed":
        monkeypatch.setenv(case.env, "")
        code, out, err = _allsmi(["config", "print"], capsys)
        assert code == 0 and yaml.safe_load(out)[section][key] is None
    monkeypatch.delenv(case.env)
    path = tmp_path / "config.yaml"
    path.write_text(f"{section}:\n  {key}: {case.valid}\n")
    code, out, err = _allsmi(["--config", str(path), "config", "print"], capsys)
    assert code == 0 and err == "", err
    assert yaml.safe_load(out)[section][key] == expected


@pytest.mark.parametrize(("command", "flag", "value", "dest", "expected"), [
    ("local", "--interval", "0.05", "interval", 0.05),
    ("api", "--interval", "3600", "interval", 3600.0),
    ("api", "-p", "65535", "port", 65535),
    ("view", "--timeout", "600", "timeout", 600.0),
    ("view", "--interval", " 2.5 ", "interval", 2.5),
    ("view", "--concurrency", "10000", "concurrency", 10000),
    ("snapshot", "--timeout", "1e-3", "timeout", 0.001),
    ("snapshot", "--seed", "9223372036854775807", "seed", 2**63 - 1),
])
def test_valid_flag_values_are_parsed(command: str, flag: str, value: str, dest: str,
                                      expected: float) -> None:
    parser = _Parser(prog=f"allsmi {command}")
    importlib.import_module(COMMANDS[command][0]).add_arguments(parser)
    parsed = getattr(parser.parse_args([flag, value]), dest)
    assert parsed == expected and type(parsed) is type(expected)


def test_snapshot_with_a_valid_timeout_still_reads_the_cluster(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _allsmi(["snapshot", "--hosts", f"127.0.0.1:{free_port()}",
                              "--timeout", "0.5", "--compact"], capsys)
    assert code == 0, err
    assert isinstance(json.loads(out), dict)


# The bugs as reported, end to end: a child process, as a user runs it.
@pytest.mark.parametrize(("command", "env", "words"), [
    (["api", "--mock", "h100:1", "--bind", "127.0.0.1", "--port", "{port}"],
     {"ALLSMI_API_INTERVAL_S": "inf"}, ["ALLSMI_API_INTERVAL_S", "api.interval_s", "inf"]),
    (["snapshot", "--hosts", "127.0.0.1:{port}", "--timeout", "0"], {},
     ["--timeout", "view.timeout_s", "'0'"]),
    (["snapshot", "--hosts", "127.0.0.1:{port}"], {"ALLSMI_VIEW_MAX_BODY_BYTES": "-1"},
     ["view.max_body_bytes", "-1"]),
    (["view", "--hosts", "127.0.0.1:{port}"], {"ALLSMI_VIEW_TIMEOUT_S": "nan"},
     ["view.timeout_s", "nan"]),
    (["local", "--mock", "h100:1"], {"ALLSMI_LOCAL_INTERVAL_S": "-inf"},
     ["local.interval_s", "-inf"]),
], ids=["api-env-inf", "snapshot-timeout-0", "snapshot-env-body", "view-env-nan", "local-env"])
def test_reported_cases_exit_2_in_a_child_process(tmp_path: Path, command: list[str],
                                                  env: dict[str, str], words: list[str]) -> None:
    port = str(free_port())
    argv = [arg.replace("{port}", port) for arg in command]
    result = subprocess.run([sys.executable, "-m", "allsmi_py", *argv], cwd=REPO,
                            env={**isolated_env(tmp_path), **env}, capture_output=True,
                            text=True, timeout=30, stdin=subprocess.DEVNULL)
    _assert_refused(result.returncode, result.stderr, *words)
    assert result.stdout == ""


@pytest.mark.parametrize(("argv", "words"), [
    (["--interval", "inf"], ["--interval", "86400"]),
    (["--interval=-1"], ["--interval", "0.05"]),
    (["--interval", "nan"], ["--interval"]),
    (["--epoch", "1e309"], ["--epoch"]),
    (["--epoch", "nan"], ["--epoch"]),
    (["--nodes", "0"], ["--nodes", "65535"]),
    (["--nodes", HUGE_INT], ["--nodes"]),
    (["--start-port", "70000"], ["--start-port", "65535"]),
    (["--admin-port=-1"], ["--admin-port"]),
    (["--devices-per-node", "65"], ["--devices-per-node", "64"]),
    (["--start-index=-1"], ["--start-index"]),
    (["--seed=-1"], ["--seed"]),
    (["--fail-slow", "1:inf"], ["--fail-slow", "86400"]),
    (["--fail-slow", "1:nan"], ["--fail-slow"]),
    (["--flap", "1:1e309"], ["--flap"]),
])
def test_mock_server_flags_refuse_bad_numbers(capsys: pytest.CaptureFixture[str],
                                              argv: list[str], words: list[str]) -> None:
    code = mock_main(argv)
    captured = capsys.readouterr()
    line = _assert_refused(code, captured.err, "allsmi-mock: error: ", *words)
    assert captured.out == "", line


@pytest.fixture
async def admin_url() -> AsyncIterator[str]:
    """A one-node mock cluster with its admin API on an OS-chosen port."""
    cluster = Cluster(build_plan(["h100:1"], 0, 1, {}), seed=1, interval_s=10_000.0,
                      epoch_s=1_750_000_000.0, bind="127.0.0.1")
    cluster.bind_all(0)
    await cluster.start(AdminApi(cluster).handle)
    try:
        yield f"http://127.0.0.1:{cluster.admin_port}/-/mock/node/node-0001/fault"
    finally:
        await cluster.close()


@pytest.mark.parametrize("kind", ["slow", "flap"])
async def test_admin_api_refuses_bad_seconds_with_400(admin_url: str, kind: str) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        for seconds in ["nan", "inf", "-inf", "NaN", "infinity", "1e309", HUGE_INT, "-1", "0",
                        "86401", "abc", "0x10"]:
            reply = await client.post(f"{admin_url}/{kind}/{seconds}")
            assert reply.status_code == 400, (seconds, reply.text)
            lines = reply.text.splitlines()
            assert len(lines) == 1 and "seconds" in lines[0] and "86400" in lines[0], reply.text
            assert "Traceback" not in reply.text
        node = (await client.get(admin_url.removesuffix("/fault"))).json()
        assert node["fault"] is None  # nothing was applied
        reply = await client.post(f"{admin_url}/{kind}/86400")
        assert reply.status_code == 200 and reply.json()["fault"] == f"{kind}:86400"
        reply = await client.post(f"{admin_url}/{kind}/0.25")
        assert reply.status_code == 200 and reply.json()["fault"] == f"{kind}:0.25"
        assert (await client.post(f"{admin_url}/none")).status_code == 200
