"""`-o FILE` writes atomically: a failed write leaves the old file and no temporary behind."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from allsmi_py.commands import output_file
from allsmi_py.commands.output_file import write_atomic
from allsmi_py.errors import UsageError


def test_a_failed_write_leaves_the_old_file(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.json"
    target.write_text("old\n")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(output_file.os, "fsync", full)
    with pytest.raises(UsageError, match="No space left on device.*unchanged"):
        write_atomic(str(target), "new\n" * 1000)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_a_failed_rename_leaves_the_old_file(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old\n")

    def refuse(src: str, dst: str) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(output_file.os, "replace", refuse)
    with pytest.raises(UsageError, match="Permission denied"):
        write_atomic(str(target), "new\n")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_an_interrupt_while_writing_leaves_no_temporary(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(output_file.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(str(tmp_path / "out"), "text")
    assert list(tmp_path.iterdir()) == []


def test_a_symlink_is_replaced_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("keep\n")
    link = tmp_path / "out"
    link.symlink_to(elsewhere)
    write_atomic(str(link), "new\n")
    assert elsewhere.read_text() == "keep\n" and not link.is_symlink()
    assert link.read_text() == "new\n"


def test_a_nul_in_the_path_is_refused() -> None:
    with pytest.raises(UsageError, match="NUL"):
        write_atomic("out\0.json", "x")


def test_a_bad_output_path_is_refused_before_any_reading(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    from allsmi_py.cli import main
    from allsmi_py.commands import snapshot

    def never(*args: object, **kwargs: object) -> object:
        raise AssertionError("collected before checking -o")

    monkeypatch.setattr(snapshot, "build_collector", never)
    assert main(["snapshot", "--mock", "h100:1", "--samples", "5",
                 "-o", str(tmp_path / "no" / "out.json")]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and err.count("\n") == 1
    assert main(["snapshot", "--mock", "h100:1", "-o", str(tmp_path)]) == 2
    assert "it is a directory" in capsys.readouterr().err
