"""Hostile socket paths for `allsmi api --socket` and `unix://` hosts (issue 21 item 4)."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from allsmi_py.errors import UsageError
from allsmi_py.exporter.unix_socket import MAX_PATH_BYTES, bind_unix_socket
from allsmi_py.remote.hosts import load_targets, parse_host
from tests.prometheus_util import REPO, isolated_env
from tests.unix_dirs import sock_dir

__all__ = ["sock_dir"]


def _api(args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "allsmi_py", "api", "--mock", "h100:1", *args],
                          cwd=REPO, env=isolated_env(home), capture_output=True, text=True,
                          timeout=30)


def _refused(result: subprocess.CompletedProcess[str], words: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_a_path_longer_than_sun_path_is_refused(sock_dir: Path) -> None:
    long = sock_dir / ("s" * (MAX_PATH_BYTES + 1 - len(str(sock_dir)) - 1))
    assert len(os.fsencode(str(long))) == MAX_PATH_BYTES + 1
    with pytest.raises(UsageError, match="bytes; a unix socket path holds at most 107"):
        bind_unix_socket(str(long), 8)
    fits = sock_dir / ("s" * (MAX_PATH_BYTES - len(str(sock_dir)) - 1))
    bind_unix_socket(str(fits), 8).remove()  # exactly 107 bytes still binds


def test_a_path_in_a_missing_directory_is_refused(sock_dir: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        bind_unix_socket(str(sock_dir / "nope" / "api.sock"), 8)
    assert not (sock_dir / "nope").exists()


def test_a_nul_in_the_path_is_refused() -> None:
    with pytest.raises(UsageError, match="NUL"):
        bind_unix_socket("/tmp/a\0b.sock", 8)


def test_a_regular_file_at_the_path_is_never_removed(sock_dir: Path) -> None:
    victim = sock_dir / "api.sock"
    victim.write_text("precious\n")
    with pytest.raises(UsageError, match="is not a socket"):
        bind_unix_socket(str(victim), 8)
    assert victim.read_text() == "precious\n"


def test_a_directory_at_the_path_is_left_alone(sock_dir: Path) -> None:
    (sock_dir / "api.sock").mkdir()
    with pytest.raises(UsageError, match="is not a socket"):
        bind_unix_socket(str(sock_dir / "api.sock"), 8)
    assert (sock_dir / "api.sock").is_dir()


def test_a_live_socket_at_the_path_is_refused_and_kept(sock_dir: Path) -> None:
    path = str(sock_dir / "api.sock")
    live = socket.socket(socket.AF_UNIX)
    live.bind(path)
    live.listen(1)
    try:
        inode = os.stat(path).st_ino
        with pytest.raises(UsageError, match="another server is listening"):
            bind_unix_socket(path, 8)
        assert os.stat(path).st_ino == inode
        client = socket.socket(socket.AF_UNIX)
        client.connect(path)  # still the live server's socket
        client.close()
    finally:
        live.close()


def test_a_stale_socket_is_replaced(sock_dir: Path) -> None:
    path = str(sock_dir / "api.sock")
    dead = socket.socket(socket.AF_UNIX)
    dead.bind(path)
    dead.close()  # a killed server leaves its file behind
    os.chmod(path, 0o666)
    bound = bind_unix_socket(path, 8)
    try:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600  # a new file, not the stale one
        client = socket.socket(socket.AF_UNIX)
        client.connect(path)
        client.close()
    finally:
        bound.remove()


def test_the_cli_refuses_each_with_one_line_and_exit_2(sock_dir: Path, tmp_path: Path) -> None:
    (sock_dir / "file").write_text("x")
    _refused(_api(["--socket", str(sock_dir / "file")], tmp_path), "is not a socket")
    _refused(_api(["--socket", str(sock_dir / "no" / "s")], tmp_path), "does not exist")
    _refused(_api(["--socket", "/tmp/" + "x" * 120], tmp_path), "at most 107")
    env_without_runtime = isolated_env(tmp_path)
    env_without_runtime.pop("XDG_RUNTIME_DIR", None)
    if os.geteuid() != 0:
        result = subprocess.run([sys.executable, "-m", "allsmi_py", "api", "--mock", "h100:1",
                                 "--socket"], cwd=REPO, env=env_without_runtime,
                                capture_output=True, text=True, timeout=30)
        _refused(result, "XDG_RUNTIME_DIR is not set")
    assert (sock_dir / "file").read_text() == "x"


@pytest.mark.parametrize(("spec", "words"), [
    ("unix://relative/api.sock", "absolute path"),
    ("unix://./api.sock", "absolute path"),
    ("unix:///run/a%00b.sock", "NUL"),
    ("unix:///run/a\0b.sock", "NUL"),
    ("unix:///run/a%ff.sock", "not UTF-8"),
    ("unix:///" + "p" * 120, "at most 107"),
    ("unix:///run/api.sock?x=1", "no query"),
    ("unix:///run/api.sock#frag", "no query"),
    ("unix:/run/api.sock", "unix:///absolute/path.sock"),
    ("unix://user@/run/api.sock", "absolute path"),
])
def test_hostile_unix_hosts_are_refused(spec: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_host(spec)


def test_a_bad_unix_host_on_the_command_line_is_one_usage_line() -> None:
    with pytest.raises(UsageError, match="absolute path"):
        load_targets(["unix://relative.sock"])
