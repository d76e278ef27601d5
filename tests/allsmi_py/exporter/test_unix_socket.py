"""The exporter's unix socket: its mode from the first instant, its default path, its cleanup."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import pytest

from allsmi_py.errors import UsageError
from allsmi_py.exporter.unix_socket import (
    ROOT_SOCKET_PATH,
    bind_unix_socket,
    check_socket_path,
    default_socket_path,
)
from tests.unix_dirs import sock_dir

__all__ = ["sock_dir"]


def test_the_socket_is_0600_and_the_umask_is_restored(sock_dir: Path) -> None:
    before = os.umask(0o022)
    try:
        bound = bind_unix_socket(str(sock_dir / "api.sock"), 8)
        assert os.umask(0o022) == 0o022  # bind put the process umask back
    finally:
        os.umask(before)
    try:
        mode = os.lstat(bound.path).st_mode
        assert stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o600
        client = socket.socket(socket.AF_UNIX)
        client.connect(bound.path)  # listening already
        client.close()
    finally:
        bound.remove()
    assert not os.path.exists(bound.path)


def test_remove_leaves_a_file_that_replaced_ours(sock_dir: Path) -> None:
    bound = bind_unix_socket(str(sock_dir / "api.sock"), 8)
    os.unlink(bound.path)
    Path(bound.path).write_text("someone else's\n")
    bound.remove()
    assert Path(bound.path).read_text() == "someone else's\n"


def test_a_relative_path_is_made_absolute(sock_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(sock_dir)
    assert check_socket_path("api.sock") == str(sock_dir / "api.sock")
    with pytest.raises(UsageError, match="empty"):
        check_socket_path("")


def test_the_default_path(monkeypatch: pytest.MonkeyPatch, sock_dir: Path) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(sock_dir))
    assert default_socket_path() == str(sock_dir / "allsmi" / "api.sock")
    bound = bind_unix_socket(default_socket_path(), 8, make_parent=True)
    try:
        assert stat.S_IMODE(os.stat(sock_dir / "allsmi").st_mode) == 0o700
    finally:
        bound.remove()
    monkeypatch.setenv("XDG_RUNTIME_DIR", "relative")
    with pytest.raises(UsageError, match="XDG_RUNTIME_DIR"):
        default_socket_path()
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert default_socket_path() == ROOT_SOCKET_PATH
