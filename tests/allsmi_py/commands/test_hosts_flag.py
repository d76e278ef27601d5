"""`--hosts` of `view` and `snapshot` in all-smi's own form: space-separated after one flag."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from allsmi_py.cli import main


class _Reached(Exception):
    """Raised by the stand-ins once the command has handed its hosts on."""


FORMS = [
    (["--hosts", "http://a:9090", "http://b:9090"], ["http://a:9090", "http://b:9090"]),
    (["--hosts", "a,b:9100"], ["a,b:9100"]),
    (["--hosts", "a", "b", "--hosts", "c,d"], ["a", "b", "c,d"]),
]


@pytest.fixture(autouse=True)
def _no_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


@pytest.mark.parametrize(("flags", "passed"), FORMS)
def test_view_takes_every_form(monkeypatch: pytest.MonkeyPatch, flags: list[str],
                               passed: list[str]) -> None:
    seen: list[list[str]] = []

    def poller(hosts: Sequence[str], hostfile: str | None, **_: Any) -> None:
        seen.append(list(hosts))
        raise _Reached

    monkeypatch.setattr("allsmi_py.remote.poller.ClusterPoller", poller)
    with pytest.raises(_Reached):
        main(["view", *flags, "--timeout", "1"])
    assert seen == [passed]


@pytest.mark.parametrize(("flags", "passed"), FORMS)
def test_snapshot_takes_every_form(monkeypatch: pytest.MonkeyPatch, flags: list[str],
                                   passed: list[str]) -> None:
    seen: list[list[str]] = []

    def poller(hosts: Sequence[str], hostfile: str | None, **_: Any) -> None:
        seen.append(list(hosts))
        raise _Reached

    monkeypatch.setattr("allsmi_py.remote.poller.ClusterPoller", poller)
    with pytest.raises(_Reached):
        main(["snapshot", *flags, "--format", "csv"])
    assert seen == [passed]


def test_hosts_without_a_value_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["snapshot", "--hosts"])
    assert exit_info.value.code == 2
    assert "--hosts" in capsys.readouterr().err
