"""`--ssh` and `--ssh-hostfile` host specs."""

from __future__ import annotations

from pathlib import Path

import pytest

from allsmi_py.errors import UsageError
from allsmi_py.remote.ssh_hosts import (
    SshHostfileWatcher,
    SshTarget,
    load_ssh_targets,
    parse_ssh_target,
)


@pytest.mark.parametrize(("spec", "target", "address"), [
    ("gpu1", SshTarget("gpu1"), "gpu1"),
    ("ops@gpu1", SshTarget("gpu1", 22, "ops"), "ops@gpu1"),
    ("ops@gpu1:2222", SshTarget("gpu1", 2222, "ops"), "ops@gpu1:2222"),
    ("ops@[::1]:2222", SshTarget("::1", 2222, "ops"), "ops@[::1]:2222"),
    ("10.0.0.5:22", SshTarget("10.0.0.5"), "10.0.0.5"),
])
def test_forms(spec: str, target: SshTarget, address: str) -> None:
    parsed = parse_ssh_target(spec)
    assert parsed == target
    assert parsed.address == address


@pytest.mark.parametrize("spec", ["ops@", "a;b@host", "$(id)@host", "ops@host:0",
                                  "ops@host:99999", "ops@ho st", "ops@::1", "ops@host;rm"])
def test_bad_specs(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_ssh_target(spec)


def test_flag_and_hostfile_merge_and_bad_lines_become_problems(tmp_path: Path) -> None:
    hostfile = tmp_path / "hosts"
    hostfile.write_text("# rack 1\nops@a:2222  # first\n\nbad@@\nops@b\nops@a:2222\n")
    loaded = load_ssh_targets(["ops@c,ops@a:2222"], str(hostfile))
    assert [t.address for t in loaded.targets] == ["ops@c", "ops@a:2222", "ops@b"]
    assert len(loaded.problems) == 1 and "line 4" in loaded.problems[0]


def test_no_valid_host_is_one_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no valid ssh host"):
        load_ssh_targets(["@@"])
    with pytest.raises(UsageError, match="cannot read ssh hostfile"):
        load_ssh_targets([], str(tmp_path / "missing"))


def test_the_hostfile_is_re_read_when_it_changes(tmp_path: Path) -> None:
    hostfile = tmp_path / "hosts"
    hostfile.write_text("ops@a\n")
    watcher = SshHostfileWatcher(["ops@flag"], str(hostfile))
    assert [t.address for t in watcher.targets] == ["ops@flag", "ops@a"]
    assert watcher.refresh() is False  # unchanged
    hostfile.write_text("ops@a\nops@b:2222\nbad@@\n")
    assert watcher.refresh() is True
    assert [t.address for t in watcher.targets] == ["ops@flag", "ops@a", "ops@b:2222"]
    assert len(watcher.problems) == 1
    hostfile.unlink()
    assert watcher.refresh() is False
    assert len(watcher.targets) == 3 and "is gone" in watcher.problems[0]
