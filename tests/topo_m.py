"""Reading `nvidia-smi topo -m` output back into cells, to hold our matrix against it."""

from __future__ import annotations

import re

# the columns our matrix has: the GPUs, CPU Affinity, NUMA Affinity (no NICs, nor the GPU
# NUMA ID of a Grace board)
KEPT = re.compile(r"(GPU\d+|CPU Affinity|NUMA Affinity)$")


def topo_m_cells(text: str) -> list[list[str]]:
    """topo -m's GPU rows as cells (header first), with only the columns we draw."""
    text = re.sub(r"\x1b\[\d+m", "", text)  # nvidia-smi underlines the header on a tty
    lines = [line for line in text.splitlines() if line.strip()]
    header = [title.strip() for title in lines[0].split("\t")]
    keep = [i for i, title in enumerate(header) if KEPT.match(title)]
    rows = [[""] + [header[i] for i in keep]]
    for line in lines[1:]:
        cells = line.split("\t")
        if not re.match(r"GPU\d+$", cells[0]):
            break  # the NIC rows, or the legend
        rows.append([cells[0]] + [cells[i].strip() if i < len(cells) else "" for i in keep])
    return rows
