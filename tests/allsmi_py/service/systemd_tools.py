"""Test helpers: systemd's own checker on a unit file, and the command-line rules it reads by."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from allsmi_py.service.spec import UNIT_NAME

SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
needs_systemd_analyze = pytest.mark.skipif(
    SYSTEMD_ANALYZE is None,
    reason="systemd-analyze not installed (Debian package 'systemd'; .ci/run installs it)")


def fake_allsmi(directory: Path, name: str = "allsmi") -> Path:
    """An executable file standing in for allsmi: systemd-analyze checks ExecStart exists."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


def analyze(args: list[str], unit_text: str, directory: Path, *,
            user: bool = False) -> subprocess.CompletedProcess[str]:
    """Run `systemd-analyze [--user] ARGS UNIT` on `unit_text` saved as allsmi-api.service."""
    assert SYSTEMD_ANALYZE is not None
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / UNIT_NAME
    path.write_text(unit_text)
    # A user manager wants a runtime directory; HOME keeps it from the real user's units. The
    # runtime directory has a short path of its own: the user units that ship with the system
    # (gpg-agent's sockets) put socket paths under it, and a socket path over 108 bytes is an
    # error (pytest's tmp_path under xdist is long enough for that).
    runtime = Path(tempfile.mkdtemp(prefix="asr"))
    try:
        runtime.chmod(0o700)
        env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "HOME": str(directory),
               "SYSTEMD_LOG_COLOR": "0"}
        return subprocess.run(
            [SYSTEMD_ANALYZE, *(["--user"] if user else []), *args, str(path)],
            capture_output=True, text=True, timeout=60, env=env, check=False)
    finally:
        shutil.rmtree(runtime, ignore_errors=True)


def verify(unit_text: str, directory: Path, *, user: bool = False) -> tuple[int, str]:
    """(exit status, messages) of `systemd-analyze verify` on the unit."""
    done = analyze(["verify"], unit_text, directory, user=user)
    return done.returncode, done.stdout + done.stderr


def exposure(unit_text: str, directory: Path) -> float:
    """systemd's exposure score of the unit (0 shut tight .. 10 wide open)."""
    done = analyze(["security", "--offline=yes", "--no-pager"], unit_text, directory)
    found = re.search(r"Overall exposure level for \S+: ([0-9.]+)", done.stdout + done.stderr)
    assert found, done.stdout + done.stderr
    return float(found.group(1))


def exec_start_words(unit_text: str, credentials_dir: str = "/run/credentials/x") -> list[str]:
    """The argv systemd runs for the unit's ExecStart=, decoded by systemd.service(5):
    specifiers first (%% is %, %d the credentials directory), then words split at unquoted
    blanks with C escapes, then $$ in arguments (not the executable) is $."""
    line = next(x for x in unit_text.splitlines() if x.startswith("ExecStart="))
    value = re.sub(r"%(.)", lambda m: {"%": "%", "d": credentials_dir}[m.group(1)],
                   line.removeprefix("ExecStart="))
    words: list[str] = []
    i = 0
    while i < len(value):
        if value[i] in " \t":
            i += 1
            continue
        word, quote = [], None
        while i < len(value) and (quote or value[i] not in " \t"):
            ch = value[i]
            if ch in "\"'" and quote in (None, ch):
                quote = None if quote else ch
            elif ch == "\\":
                i += 1
                word.append(value[i])  # the only escapes our renderer writes: \\ and \"
            else:
                word.append(ch)
            i += 1
        assert quote is None, f"unterminated quote in {value!r}"
        words.append("".join(word))
    return [words[0], *(w.replace("$$", "$") for w in words[1:])]
