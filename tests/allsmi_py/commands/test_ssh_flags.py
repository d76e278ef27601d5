"""`--ssh` of `allsmi view` and `allsmi snapshot`: help, refusals, and one real round."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from allsmi_py.cli import main
from tests.allsmi_py.remote.faults import node_snapshot
from tests.allsmi_py.remote.ssh_server import SKIP_REASON, SshHost, keygen, sshd_available

needs_sshd = pytest.mark.skipif(not sshd_available(), reason=SKIP_REASON)


class _Reached(Exception):
    """Raised by the stand-in once the command has built its source."""


@pytest.fixture(autouse=True)
def _no_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)


@pytest.mark.parametrize("command", ["view", "snapshot"])
def test_help_lists_the_ssh_flags(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "-h"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for flag in ("--ssh USER@HOST[:PORT]", "--ssh-hostfile FILE", "--ssh-key FILE",
                 "--ssh-known-hosts FILE", "--ssh-strict-host-key {yes,accept-new,no}",
                 "--ssh-connect-timeout SECONDS", "--ssh-concurrency N"):
        assert flag in text
    assert "passwords and passphrases are never asked" in " ".join(text.split())


@pytest.mark.parametrize(("command", "other"), [
    ("view", ["--hosts", "a"]), ("view", ["--prometheus", "http://p:9090"]),
    ("view", ["--hostfile", "f"]), ("snapshot", ["--hosts", "a"]), ("snapshot", ["--mock",
                                                                                 "h100:1"]),
])
def test_ssh_with_another_source_is_one_line_and_exit_2(
        command: str, other: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, "--ssh", "ops@gpu1", *other]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--ssh/--ssh-hostfile" in err and other[0] in err


def test_deadline_is_refused_with_ssh(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["snapshot", "--ssh", "ops@gpu1", "--deadline", "3"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--deadline" in err


def test_no_valid_ssh_host_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["snapshot", "--ssh", "bad;host"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no valid ssh host" in err


def test_view_hands_an_ssh_source_to_the_ui(monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    seen: list[Any] = []

    def app(source: Any, **_: Any) -> None:
        seen.append(source)
        raise _Reached

    monkeypatch.setattr("allsmi_py.tui.cluster_app.ClusterApp", app)
    with pytest.raises(_Reached):
        main(["view", "--ssh", "ops@a:2222,b", "--ssh-strict-host-key", "accept-new",
              "--ssh-known-hosts", str(tmp_path / "kh"), "--timeout", "3",
              "--ssh-connect-timeout", "4", "--ssh-concurrency", "7"])
    (source,) = seen
    assert [t.address for t in source.targets] == ["ops@a:2222", "b"]
    options = source.options
    assert (options.strict_host_key, options.known_hosts, options.command_timeout_s,
            options.connect_timeout_s, source.concurrency) == (
        "accept-new", str(tmp_path / "kh"), 3.0, 4.0, 7)


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[tuple[SshHost, Path]]:
    key = keygen(tmp_path / "id_ed25519")
    (tmp_path / "sshd").mkdir()
    host = SshHost(tmp_path / "sshd", "allsmi", key)
    host.start()
    snapshot = node_snapshot("ssh-node", "h100:1")
    (host.root / "data" / "allsmi.json").write_text(json.dumps(snapshot.to_dict()))
    yield host, key
    host.stop()


@needs_sshd
def test_snapshot_over_ssh_prints_the_cluster(server: tuple[SshHost, Path], tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    host, key = server
    known = tmp_path / "known_hosts"
    known.write_text(host.known_hosts_line())
    assert main(["snapshot", "--ssh", host.spec, "--ssh-key", str(key),
                 "--ssh-known-hosts", str(known), "--format", "json"]) == 0
    out = capsys.readouterr()
    document = json.loads(out.out)
    (node,) = document["nodes"]
    assert (node["state"], node["source"], node["snapshot"]["hostname"]) == (
        "ok", "ssh:allsmi", "ssh-node")
    assert out.err == ""


@needs_sshd
def test_snapshot_with_an_unknown_host_key_says_so_in_one_line(
        server: tuple[SshHost, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    host, key = server
    assert main(["snapshot", "--ssh", host.spec, "--ssh-key", str(key),
                 "--ssh-known-hosts", str(tmp_path / "none"), "--format", "csv"]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"allsmi: error: host key for {host.spec} unknown")


def test_the_readme_documents_every_ssh_flag_and_source() -> None:
    import argparse

    from allsmi_py.commands.ssh_flags import add_ssh_arguments
    from allsmi_py.remote.ssh_source import SOURCES

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    parser = argparse.ArgumentParser()
    add_ssh_arguments(parser)
    flags = [a.option_strings[0] for a in parser._actions if a.option_strings
             and a.option_strings[0].startswith("--ssh")]
    assert len(flags) == 7
    for flag in flags:
        assert f"`{flag}" in readme or f"/ `{flag}" in readme
    for source in SOURCES:
        assert f"`{source.source}`" in readme
