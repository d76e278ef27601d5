"""The unit passes systemd's own checks, and says exactly what it should (issue 18 item 4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from allsmi_py.errors import UsageError
from allsmi_py.service.spec import ApiOptions, Credential, build_spec
from allsmi_py.service.systemd import (
    exec_start,
    quote_argument,
    quote_executable,
    render_environment_file,
    render_unit,
)
from tests.allsmi_py.service.systemd_tools import (
    exec_start_words,
    exposure,
    fake_allsmi,
    needs_systemd_analyze,
    verify,
)

EVERY_OPTION = ApiOptions(
    port=443, bind="127.0.0.1", interval_s=2.5, processes=True,
    tls_cert=Path("/etc/ssl/allsmi cert.pem"), tls_key=Path("/etc/ssl/100%key.pem"),
    mock="h100:2", backends=("nvidia", "amd"), seed=7, secrets={"auth_token": "tok"})


def _unit(options: ApiOptions, executable: Path, *, system: bool = True,
          groups: frozenset[str] = frozenset({"video", "render"})) -> str:
    spec = build_spec(options, executable=(str(executable),), system=system, systemd=True,
                      environment_file=Path("/etc/allsmi/api.env"), groups_present=groups)
    return render_unit(spec)


def _settings(unit: str) -> list[str]:
    return [line for line in unit.splitlines() if "=" in line and not line.startswith("#")]


@needs_systemd_analyze
@pytest.mark.parametrize("system", [True, False], ids=["system", "user"])
def test_generated_unit_passes_systemd_analyze_verify(tmp_path: Path, system: bool) -> None:
    unit = _unit(EVERY_OPTION, fake_allsmi(tmp_path / "venv bin"), system=system)
    code, messages = verify(unit, tmp_path / "units", user=not system)
    assert code == 0 and messages == "", messages


@needs_systemd_analyze
@pytest.mark.parametrize("breakage", [
    ("ExecStart=", "ExecStart=/nonexistent/allsmi "),
    ("ProtectSystem=strict", "ProtectSystem=sideways"),
    ("DynamicUser=yes", "DynamicUser=yes\nExecStart=/also/missing"),
])
def test_verify_fails_for_a_broken_unit(tmp_path: Path, breakage: tuple[str, str]) -> None:
    good = _unit(ApiOptions(port=9100), fake_allsmi(tmp_path / "bin"))
    old, new = breakage
    assert old in good
    code, messages = verify(good.replace(old, new, 1), tmp_path / "units")
    assert code != 0 or messages, "systemd-analyze accepted a broken unit"


@needs_systemd_analyze
def test_system_unit_is_hardened_by_systemds_own_measure(tmp_path: Path) -> None:
    executable = fake_allsmi(tmp_path / "bin")
    ours = exposure(_unit(EVERY_OPTION, executable), tmp_path / "ours")
    bare = exposure(f"[Service]\nExecStart={executable}\n", tmp_path / "bare")
    assert ours < 5.0 < bare, (ours, bare)  # below 5 is "OK" in systemd-analyze security


def test_system_unit_runs_isolated_and_hands_over_files_as_credentials() -> None:
    unit = _unit(EVERY_OPTION, Path("/opt/allsmi/bin/allsmi"))
    settings = _settings(unit)
    for line in ("DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes",
                 "LimitNOFILE=65536", "SupplementaryGroups=video render",
                 "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
                 "AmbientCapabilities=CAP_NET_BIND_SERVICE",
                 "EnvironmentFile=/etc/allsmi/api.env",
                 "LoadCredential=tls-cert:/etc/ssl/allsmi cert.pem",
                 "LoadCredential=tls-key:/etc/ssl/100%%key.pem",
                 "DevicePolicy=closed", "DeviceAllow=char-nvidia-frontend rw",
                 "DeviceAllow=char-nvidia rw",
                 "DeviceAllow=char-kfd rw", "WantedBy=multi-user.target"):
        assert line in settings, line
    assert "tok" not in unit  # the token lives in the environment file only
    assert exec_start_words(unit, "/run/credentials/allsmi-api.service") == [
        "/opt/allsmi/bin/allsmi", "api", "--port", "443", "--bind", "127.0.0.1",
        "--interval", "2.5", "--processes",
        "--tls-cert", "/run/credentials/allsmi-api.service/tls-cert",
        "--tls-key", "/run/credentials/allsmi-api.service/tls-key",
        "--mock", "h100:2", "--backend", "nvidia", "--backend", "amd", "--seed", "7"]


def test_user_unit_has_no_dynamic_user_credentials_or_namespaces() -> None:
    unit = _unit(EVERY_OPTION, Path("/home/u/.venv/bin/allsmi"), system=False)
    settings = _settings(unit)
    for absent in ("DynamicUser", "LoadCredential", "SupplementaryGroups", "ProtectSystem",
                   "CapabilityBoundingSet", "network-online.target"):
        assert not any(absent in line for line in settings), absent
    assert "NoNewPrivileges=yes" in settings and "WantedBy=default.target" in settings
    words = exec_start_words(unit)
    assert words[words.index("--tls-key") + 1] == "/etc/ssl/100%key.pem"


def test_missing_device_groups_are_left_out() -> None:
    # SupplementaryGroups= naming a group the host lacks keeps the unit from starting.
    unit = _unit(ApiOptions(), Path("/usr/bin/allsmi"), groups=frozenset({"video"}))
    assert "SupplementaryGroups=video" in _settings(unit)
    unit = _unit(ApiOptions(), Path("/usr/bin/allsmi"), groups=frozenset())
    assert not any(line.startswith("SupplementaryGroups") for line in _settings(unit))


def test_device_policy_closes_only_for_backends_whose_devices_are_known() -> None:
    for options, closed in ((ApiOptions(), False), (ApiOptions(backends=("tenstorrent",)), False),
                            (ApiOptions(backends=("nvidia", "tenstorrent")), False),
                            (ApiOptions(backends=("nvidia",)), True),
                            (ApiOptions(mock="h100:1"), True)):
        unit = _unit(options, Path("/usr/bin/allsmi"))
        assert ("DevicePolicy=closed" in _settings(unit)) is closed, options
    unit = _unit(ApiOptions(mock="h100:1"), Path("/usr/bin/allsmi"))
    assert not any(line.startswith("DeviceAllow") for line in _settings(unit))


@pytest.mark.parametrize("word", [
    "plain", "a b", 'say "hi"', "it's", "back\\slash", "$HOME", "${HOME}", "$$", "100%",
    "%d", ";", "", "  ", "ünïcödé", "--flag=va lue", "\\\"", "tab-less\u00a0nbsp"])
def test_arguments_reach_the_program_unchanged(word: str) -> None:
    spec = build_spec(ApiOptions(bind=word), executable=("/usr/bin/allsmi",), system=True,
                      systemd=True, environment_file=None, groups_present=frozenset())
    assert exec_start_words(f"ExecStart={exec_start(spec)}") == [
        "/usr/bin/allsmi", "api", "--bind", word]


@needs_systemd_analyze
@pytest.mark.parametrize("directory", ["with space", "dollar$HOME", "per%cent", "semi;colon",
                                       "ünï", "$$"])
def test_executable_paths_systemd_can_run_are_quoted_so_it_finds_them(
        tmp_path: Path, directory: str) -> None:
    # verify fails with "is not executable" unless systemd decodes the path to our file.
    executable = fake_allsmi(tmp_path / directory)
    unit = _unit(ApiOptions(port=9100), executable)
    code, messages = verify(unit, tmp_path / "units")
    assert code == 0 and messages == "", (quote_executable(str(executable)), messages)


@needs_systemd_analyze
@pytest.mark.parametrize("directory", ['quote"d', "apo'strophe", "back\\slash"])
def test_executable_paths_systemd_refuses_are_refused_first(tmp_path: Path,
                                                            directory: str) -> None:
    executable = fake_allsmi(tmp_path / directory)
    with pytest.raises(UsageError, match="install allsmi under a plainer path"):
        quote_executable(str(executable))
    # ... because systemd itself will not run them, however they are quoted.
    escaped = str(executable).replace("\\", "\\\\").replace('"', '\\"')
    code, messages = verify(f'[Service]\nExecStart="{escaped}"\n', tmp_path / "units")
    assert code != 0 and "special characters" in messages, messages


@pytest.mark.parametrize("bad", ["127.0.0.1\nExecStartPre=/bin/rm -rf /", "a\rb", "nul\x00",
                                 "esc\x1b[31m", "del\x7f"])
def test_control_characters_are_refused_not_written(bad: str) -> None:
    with pytest.raises(UsageError, match="control character"):
        quote_argument(bad)
    with pytest.raises(UsageError, match="control character"):
        _unit(ApiOptions(bind=bad), Path("/usr/bin/allsmi"))


def test_relative_executable_is_refused() -> None:
    with pytest.raises(UsageError, match="absolute"):
        quote_executable("allsmi")


def test_credentials_are_listed_in_command_line_order() -> None:
    spec = build_spec(EVERY_OPTION, executable=("/usr/bin/allsmi",), system=True, systemd=True,
                      environment_file=None, groups_present=frozenset())
    assert spec.credentials == (Credential("tls-cert", Path("/etc/ssl/allsmi cert.pem")),
                                Credential("tls-key", Path("/etc/ssl/100%key.pem")))


def test_environment_file_never_shows_a_secret_in_its_refusal() -> None:
    with pytest.raises(UsageError) as caught:
        render_environment_file({"ALLSMI_API_AUTH_TOKEN": "s3cret\nX=1"})
    assert "s3cret" not in str(caught.value)
