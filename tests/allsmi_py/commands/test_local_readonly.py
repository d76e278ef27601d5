"""`allsmi local --readonly` and config local.readonly: no process actions."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from allsmi_py.collector import Collector
from allsmi_py.commands import local
from allsmi_py.config import load_config
from allsmi_py.process_actions import ProcessSignaller


@pytest.fixture
def no_default_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No config file is found: XDG_CONFIG_HOME and HOME point into tmp_path."""
    if Path("/etc/allsmi/config.yaml").exists():
        pytest.skip("this machine has /etc/allsmi/config.yaml")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ALLSMI_LOCAL_READONLY", raising=False)


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(exit_on_error=False)
    local.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_actions_by_default_none_with_the_flag(no_default_file: None) -> None:
    collector = Collector([])
    config = load_config()
    actions = local.process_actions(_args(), config, collector)
    assert isinstance(actions, ProcessSignaller) and actions.simulated is collector
    assert local.process_actions(_args("--readonly"), config, collector) is None


def test_the_config_key_and_the_flag_over_it(no_default_file: None, tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("local:\n  readonly: true\n")
    config = load_config(path)
    collector = Collector([])
    assert local.process_actions(_args(), config, collector) is None
    assert local.process_actions(_args("--no-readonly"), config, collector) is not None


def test_the_environment_sets_it(no_default_file: None,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLSMI_LOCAL_READONLY", "true")
    assert local.process_actions(_args(), load_config(), Collector([])) is None
