"""Reading the `--query-gpu` and `--query-compute-apps` CSV sections of the nvidia-smi
captures in tests/fixtures/nvidia/ (real output, see the README there)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

CAPTURES = Path(__file__).parents[1] / "fixtures" / "nvidia"
_TITLE = re.compile(r"^# (\w+) :: (.+)$")


def sections(path: Path) -> dict[tuple[str, str], str]:
    """Body text of each section by (state, command title), e.g. ("load", "query-gpu")."""
    found: dict[tuple[str, str], list[str]] = {}
    current: list[str] | None = None
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        title = _TITLE.match(line)
        if title and i > 0 and lines[i - 1].startswith("#" * 80):
            command = title.group(2).split(" (")[0]
            current = found.setdefault((title.group(1), command), [])
        elif current is not None and not line.startswith("#"):
            current.append(line)
    return {key: "\n".join(body).strip() for key, body in found.items()}


def _rows(body: str) -> list[dict[str, str]]:
    reader = csv.reader(io.StringIO(body), skipinitialspace=True)
    header = [re.sub(r" \[.*\]$", "", name.strip()) for name in next(reader)]
    return [dict(zip(header, (v.strip() for v in row), strict=True)) for row in reader if row]


def query_gpu(path: Path, state: str) -> list[dict[str, str]]:
    """One dict per GPU of the `--query-gpu` CSV for `state` (idle or load); units dropped
    from the header names (`memory.total [MiB]` -> `memory.total`), values as printed."""
    return _rows(sections(path)[(state, "query-gpu")])


def compute_apps(path: Path, state: str) -> list[dict[str, str]]:
    """One dict per process of the `--query-compute-apps` CSV for `state`."""
    body = sections(path)[(state, "query-compute-apps")]
    return _rows(body) if body.count("\n") else []


def capture(name_part: str) -> Path:
    """The one capture whose file name contains `name_part`."""
    (path,) = [p for p in CAPTURES.glob("nvidia-smi_capture__*.txt") if name_part in p.name]
    return path
