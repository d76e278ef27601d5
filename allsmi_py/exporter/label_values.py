"""Label values as the exporter writes them: cleaned for all-smi's view, capped as all-smi caps."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# all-smi's caps on process labels (bytes), overflow written as "<prefix>...(N bytes truncated)";
# ours for the workload labels: a Kubernetes pod name is at most 253, a namespace 63
LABEL_CAPS = {"command": 256, "name": 128, "user": 128,
              "pod": 256, "namespace": 128, "container": 256, "container_id": 128}


def clean_label_value(value: str) -> str:
    """A label value all-smi's view can read: no control characters, no '}'.

    The view matches `\\{([^}]+)\\}`, so one '}' inside a value would make it drop the line.
    """
    value = _CONTROL.sub("", value)
    return value.replace("}", ")") if "}" in value else value


def cap_label_value(value: str, limit: int) -> str:
    """`value` cut to `limit` UTF-8 bytes the way all-smi does, noting how much was cut."""
    raw = value.encode("utf-8")
    if len(raw) <= limit:
        return value
    kept = raw[:limit].decode("utf-8", errors="ignore")
    return f"{kept}...({len(raw) - len(kept.encode('utf-8'))} bytes truncated)"


_LABEL_NAME_BAD = re.compile(r"[^a-z0-9_]")


def sanitize_label_name(key: str) -> str:
    """A detail key as all-smi writes it as a label name: `Power Cap (Max)` -> `power_cap__max_`."""
    name = _LABEL_NAME_BAD.sub("_", key.lower())
    if not name.isascii():
        name = "".join(c if c.isascii() else "_" for c in name)
    return f"_{name}" if name[:1].isdigit() else name

