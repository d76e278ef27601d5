"""The launchd plist comes from the same ServiceSpec as the systemd unit (issue 18 item 4)."""

from __future__ import annotations

import plistlib
from pathlib import Path
from typing import Any

import pytest

from allsmi_py.errors import UsageError
from allsmi_py.service.launchd import render_plist
from allsmi_py.service.spec import ApiOptions, build_spec

OPTIONS = ApiOptions(port=9100, bind="::1", interval_s=1.0, processes=False,
                     tls_cert=Path("/Users/a b/cert.pem"), tls_key=Path("/Users/a b/key.pem"),
                     backends=("apple",))


def _plist(options: ApiOptions, *, system: bool = False) -> dict[str, Any]:
    spec = build_spec(options, executable=("/Users/a b/.venv/bin/allsmi",), system=system,
                      systemd=False, environment_file=Path("/x/api.env"),
                      groups_present=frozenset({"video"}))
    data = render_plist(spec, Path("/Users/a b/Library/Logs/allsmi-api.log"))
    parsed = plistlib.loads(data)
    assert isinstance(parsed, dict)
    return parsed


@pytest.mark.parametrize("system", [False, True], ids=["agent", "daemon"])
def test_plist_runs_the_same_command_line_with_paths_not_credentials(system: bool) -> None:
    plist = _plist(OPTIONS, system=system)
    assert plist["Label"] == "org.allsmi.api"
    assert plist["ProgramArguments"] == [
        "/Users/a b/.venv/bin/allsmi", "api", "--port", "9100", "--bind", "::1",
        "--interval", "1.0", "--no-processes", "--tls-cert", "/Users/a b/cert.pem",
        "--tls-key", "/Users/a b/key.pem", "--backend", "apple"]
    assert plist["RunAtLoad"] is True
    assert plist["KeepAlive"] == {"SuccessfulExit": False}
    assert plist["ThrottleInterval"] == 5
    assert plist["SoftResourceLimits"] == plist["HardResourceLimits"] == {"NumberOfFiles": 65536}
    assert plist["StandardErrorPath"] == "/Users/a b/Library/Logs/allsmi-api.log"
    assert plist["Umask"] == 0o077


def test_plist_keeps_hostile_text_as_data() -> None:
    hostile = "<string>&amp;</string>]]>\"'$HOME%d"
    plist = _plist(ApiOptions(bind=hostile, mock=hostile))
    assert plist["ProgramArguments"][2:] == ["--bind", hostile, "--mock", hostile]


def test_secrets_are_refused_rather_than_written_into_the_plist() -> None:
    with pytest.raises(UsageError, match="api.auth_token"):
        _plist(ApiOptions(secrets={"auth_token": "t0ken"}))
