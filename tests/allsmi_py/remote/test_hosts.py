"""Host specs, hostfiles and the hostfile watcher."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from allsmi_py.errors import UsageError
from allsmi_py.remote.hosts import (
    HostfileWatcher,
    load_targets,
    parse_host,
    parse_lines,
    redact_credentials,
)


@pytest.mark.parametrize(("spec", "address", "base"), [
    ("node1", "node1:9090", "http://node1:9090"),
    ("node1:9100", "node1:9100", "http://node1:9100"),
    ("10.0.0.7", "10.0.0.7:9090", "http://10.0.0.7:9090"),
    ("[::1]", "[::1]:9090", "http://[::1]:9090"),
    ("[fe80::1]:9200", "[fe80::1]:9200", "http://[fe80::1]:9200"),
    ("http://gpu-7.lab:8080", "gpu-7.lab:8080", "http://gpu-7.lab:8080"),
    ("https://gpu-7.lab", "https://gpu-7.lab:443", "https://gpu-7.lab:443"),
    ("http://proxy:80/node7/metrics", "http://proxy:80/node7", "http://proxy:80/node7"),
    ("http://[::1]:9/x/", "http://[::1]:9/x", "http://[::1]:9/x"),
])
def test_valid_specs(spec: str, address: str, base: str) -> None:
    target = parse_host(spec)
    assert (target.address, target.base_url) == (address, base)
    assert target.metrics_url == base + "/metrics"


@pytest.mark.parametrize("spec", ["", "node:0", "node:99999", "node:x", "::1", "[::1", "[zz]:1",
                                  "ftp://a", "http://u:p@a", "bad host", "a/b", "http://"])
def test_invalid_specs(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_host(spec)


def test_hostfile_comments_blanks_bad_lines_and_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "hosts"
    path.write_text("# head\n\nnode1\r\n  node2:9100  # rack 2\nnode1:9090\nbad host\n"
                    "http://[::1]:9300\n")
    result = load_targets((), str(path))
    assert [t.address for t in result.targets] == ["node1:9090", "node2:9100", "[::1]:9300"]
    assert len(result.problems) == 1 and "line 6" in result.problems[0]


def test_hosts_flag_first_then_hostfile(tmp_path: Path) -> None:
    path = tmp_path / "hosts"
    path.write_text("c\na\n")
    result = load_targets(["a,b", "d e"], str(path))
    assert [t.address.split(":")[0] for t in result.targets] == ["a", "b", "d", "e", "c"]


def test_no_valid_host_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "hosts"
    path.write_text("# only comments\nbad host!\n")
    with pytest.raises(UsageError, match="no valid host"):
        load_targets((), str(path))
    with pytest.raises(UsageError, match="cannot read"):
        load_targets((), str(tmp_path / "absent"))
    with pytest.raises(UsageError):
        load_targets(())


def test_bad_lines_are_numbered() -> None:
    result = parse_lines(["ok1", "# c", "", "x:y"], source="f")
    assert result.problems == ("f line 4: 'x:y': bad port 'y'",)


def test_watcher_rereads_on_change_and_survives_removal(tmp_path: Path) -> None:
    path = tmp_path / "hosts"
    path.write_text("a\nb\n")
    watcher = HostfileWatcher(path)
    assert [t.address for t in watcher.targets] == ["a:9090", "b:9090"]
    assert watcher.refresh() is False
    path.write_text("a\nb\nc\n")
    os.utime(path, ns=(1, 2_000_000_000))  # a new mtime even on coarse clocks
    assert watcher.refresh() is True
    assert [t.address for t in watcher.targets] == ["a:9090", "b:9090", "c:9090"]
    path.unlink()
    assert watcher.refresh() is False
    assert len(watcher.targets) == 3 and "gone" in watcher.problems[0]
    path.write_text("z\n")
    assert watcher.refresh() is True
    assert [t.address for t in watcher.targets] == ["z:9090"]
    path.write_text("bad host!\n")
    os.utime(path, ns=(1, 3_000_000_000))
    assert watcher.refresh() is False
    assert [t.address for t in watcher.targets] == ["z:9090"]


@pytest.mark.parametrize(("text", "shown"), [
    ("http://admin:S3cretPass@gpu1:9090", "http://admin:***@gpu1:9090"),
    ("https://S3cretToken@gpu1/metrics", "https://***@gpu1/metrics"),
    ("see http://a:b@h1 and http://c:d@h2", "see http://a:***@h1 and http://c:***@h2"),
    ("http://gpu1:9090/path@v2", "http://gpu1:9090/path@v2"),
    ("gpu1:9090", "gpu1:9090"),
])
def test_credentials_are_redacted_wherever_a_url_is_shown(text: str, shown: str) -> None:
    assert redact_credentials(text) == shown


def test_a_url_with_a_password_is_refused_without_printing_it() -> None:
    result = parse_lines(["http://admin:S3cretPass@gpu1:9090", "gpu2"])
    assert [t.address.split(":")[0] for t in result.targets] == ["gpu2"]
    (problem,) = result.problems
    assert "S3cretPass" not in problem
    assert "admin:***@gpu1" in problem
    assert "view.auth_token" in problem and "ALLSMI_AUTH_TOKEN" in problem


@pytest.mark.parametrize("spec", ["admin:S3cretPass@gpu1:9090", "admin:S3cretPass@gpu1",
                                  "S3cretPass@gpu1"])
def test_a_scheme_less_spec_with_credentials_is_refused_without_printing_them(spec: str) -> None:
    (problem,) = parse_lines([spec]).problems
    assert "S3cretPass" not in problem
    assert "***@gpu1" in problem and "credentials" in problem
