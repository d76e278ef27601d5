"""Hostile config files: `allsmi config validate` and load_config answer each in one line, exit 2.

Every case is a file a user could point `--config` or `config validate` at by mistake or by
malice: too big, too deep, an alias bomb, binary, a FIFO, the wrong shape. None may hang,
eat memory, print a traceback or be half-accepted.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from allsmi_py.cli import main
from allsmi_py.config import load_config
from allsmi_py.config_file import MAX_DEPTH, MAX_FILE_BYTES
from allsmi_py.errors import ConfigError

# The classic "billion laughs": nine levels, each ten aliases of the one above: 10**9 strings.
BILLION_LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8))
DEEP_BLOCK = "".join(" " * (2 * i) + f"k{i}:\n" for i in range(200)) + " " * 400 + "v: 1\n"


def _bytes(data: bytes) -> Callable[[Path], Path]:
    def make(tmp_path: Path) -> Path:
        path = tmp_path / "config.yaml"
        path.write_bytes(data)
        return path
    return make


def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    os.mkfifo(path)  # opening it for reading would block until a writer comes
    return path


def _directory(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.mkdir()
    return path


# (case id, file maker, what the one problem line says)
CASES = [
    ("huge", _bytes(b"# padding\n" * (MAX_FILE_BYTES // 10 + 1)), r": larger than 1 MiB"),
    ("deep-flow", _bytes(b"[" * 100_000), rf"line 1: invalid YAML: nested deeper than {MAX_DEPTH}"),
    ("deep-block", _bytes(DEEP_BLOCK.encode()), rf"line {MAX_DEPTH}: invalid YAML: nested deeper"),
    ("billion-laughs", _bytes(BILLION_LAUGHS.encode()), r"line 2: invalid YAML: aliases"),
    ("merge-key-alias", _bytes(b"base: &b {port: 1}\napi:\n  <<: *b\n"), r"line 3: .*aliases"),
    ("binary", _bytes(bytes(range(256)) * 8), r"line 2: not UTF-8 text \(byte 0x80\)"),
    ("nul-byte", _bytes(b"api:\n  bind: a\x00b\n"), r"line 2: not YAML text: character #x0000"),
    ("not-utf8", _bytes(b"api:\n  bind: \xff\xfe\n"), r"line 2: not UTF-8 text \(byte 0xff\)"),
    ("list-root", _bytes(b"- api\n- view\n"), r"line 1: the file must be a mapping of sections"),
    ("scalar-root", _bytes(b"just some words\n"), r"line 1: the file must be a mapping"),
    ("duplicate-key", _bytes(b"api:\n  port: 1\n  port: 2\n"),
     r"line 3: duplicate key api.port \(first at line 2\)"),
    ("two-documents", _bytes(b"api: {}\n---\nview: {}\n"), r"line 2: invalid YAML"),
    ("python-object-tag", _bytes(b"api:\n  bind: !!python/object/apply:os.system [id]\n"),
     r"line 2: api.bind: could not determine a constructor"),
    ("5000-digit-port", _bytes(b"api:\n  port: " + b"9" * 5000 + b"\n"),
     r"line 2: api.port: expected an integer between 1 and 65535, got '9999"),
    ("fifo", _fifo, r": not a regular file"),
    ("directory", _directory, r": not a regular file"),
]


@pytest.mark.parametrize("make,message", [pytest.param(m, r, id=i) for i, m, r in CASES])
def test_validate_answers_in_one_line_with_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], make: Callable[[Path], Path],
        message: str) -> None:
    path = make(tmp_path)
    assert main(["config", "validate", str(path)]) == 2
    out, err = capsys.readouterr()
    assert err == "" and out.count("\n") == 1, out
    assert out.startswith(str(path)), out
    assert re.search(message, out), out


@pytest.mark.parametrize("make,message", [pytest.param(m, r, id=i) for i, m, r in CASES])
def test_load_config_refuses_with_the_same_line(
        tmp_path: Path, make: Callable[[Path], Path], message: str) -> None:
    path = make(tmp_path)
    with pytest.raises(ConfigError, match=message) as info:
        load_config(path, environ={})
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_any_command_refuses_a_hostile_config_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _bytes(BILLION_LAUGHS.encode())(tmp_path)
    assert main(["--config", str(path), "snapshot", "--mock", "h100:1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "aliases" in err and str(path) in err
