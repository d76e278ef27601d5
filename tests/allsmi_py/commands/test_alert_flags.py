"""--alert-util-low-mins on local and view, the webhook settings, and `config print` secrets."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from allsmi_py.alerts import AlertEngine
from allsmi_py.cli import main
from allsmi_py.commands import local, view
from allsmi_py.commands.alert_flags import alert_thresholds, alert_webhook, webhook_options
from allsmi_py.config import load_config
from allsmi_py.errors import ConfigError


@pytest.fixture
def no_default_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No config file is found: XDG_CONFIG_HOME and HOME point into tmp_path."""
    if Path("/etc/allsmi/config.yaml").exists():
        pytest.skip("this machine has /etc/allsmi/config.yaml")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def _parser(command: object) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(exit_on_error=False)
    command.add_arguments(parser)  # type: ignore[attr-defined]
    return parser


@pytest.mark.parametrize("command", [local, view])
def test_the_flag_overrides_the_config_and_defaults_to_off(
        command: object, no_default_file: None, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config()
    assert alert_thresholds(_parser(command).parse_args([]), config).util_low_mins == 0
    args = _parser(command).parse_args(["--alert-util-low-mins", "15"])
    assert alert_thresholds(args, config).util_low_mins == 15
    monkeypatch.setenv("ALLSMI_ALERTS_UTIL_LOW_MINS", "30")
    config = load_config()
    assert alert_thresholds(_parser(command).parse_args([]), config).util_low_mins == 30
    assert alert_thresholds(args, config).util_low_mins == 15


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "10081", "soon"])
def test_a_bad_flag_value_is_one_line_and_exit_2(
        value: str, no_default_file: None, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["local", "--alert-util-low-mins", value])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "alerts.util_low_mins" in err and "Traceback" not in err


def test_no_url_means_no_webhook_and_a_bad_one_is_a_config_error(
        no_default_file: None, monkeypatch: pytest.MonkeyPatch) -> None:
    assert webhook_options(load_config()) is None
    monkeypatch.setenv("ALLSMI_ALERTS_WEBHOOK_URL", "hooks.example.com/T/tokensecret")
    with pytest.raises(ConfigError, match="alerts.webhook_url") as refused:
        webhook_options(load_config())
    assert "tokensecret" not in str(refused.value)
    monkeypatch.setenv("ALLSMI_ALERTS_WEBHOOK_URL", "https://hooks.example.com/T/secret")
    monkeypatch.setenv("ALLSMI_ALERTS_WEBHOOK_TIMEOUT_S", "0.5")
    options = webhook_options(load_config())
    assert options is not None and options.timeout_s == 0.5 and options.retries == 3


def test_the_webhook_listens_only_inside_the_block(no_default_file: None) -> None:
    engine = AlertEngine()
    options = webhook_options(load_config())
    with alert_webhook(options, engine) as sender:
        assert sender is None and engine.listeners == []
    from allsmi_py.webhook import WebhookOptions

    with alert_webhook(WebhookOptions("http://127.0.0.1:9/x"), engine) as sender:
        assert sender is not None and len(engine.listeners) == 1
    assert engine.listeners == []


def test_config_print_redacts_the_webhook_url_and_every_token(
        no_default_file: None, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ALLSMI_ALERTS_WEBHOOK_URL", "https://hooks.example.com/T/hooksecret")
    monkeypatch.setenv("ALLSMI_API_AUTH_TOKEN", "apisecret")
    monkeypatch.setenv("ALLSMI_API_BASIC_AUTH", "user:pwsecret")
    monkeypatch.setenv("ALLSMI_VIEW_AUTH_TOKEN", "viewsecret")
    assert main(["config", "print"]) == 0
    out = capsys.readouterr().out
    assert "secret" not in out
    assert out.count("<redacted>") == 4
    assert "util_low_mins: 0.0" in out and "webhook_retries: 3" in out
