"""A stand-in for systemctl/launchctl that records every call and answers as told."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from allsmi_py.service.manage import Completed, Host
from allsmi_py.service.paths import Manager


@dataclass
class RecordingRunner:
    """Answers each command with `answers[first matching word]`, else exit 0, no output."""

    answers: dict[str, Completed] = field(default_factory=dict)
    calls: list[list[str]] = field(default_factory=list)

    def __call__(self, argv: Sequence[str]) -> Completed:
        self.calls.append(list(argv))
        for word in argv:
            if word in self.answers:
                return self.answers[word]
        return Completed(0, "")


def temp_host(tmp_path: Path, runner: RecordingRunner, *, manager: Manager = "systemd",
              euid: int = 0) -> Host:
    """A Host whose root and home are inside `tmp_path`."""
    (tmp_path / "root").mkdir(exist_ok=True)
    (tmp_path / "home").mkdir(exist_ok=True)
    return Host(manager=manager, root=tmp_path / "root", home=tmp_path / "home", euid=euid,
                uid=euid or 1000, groups_present=frozenset({"video", "render"}), runner=runner)
