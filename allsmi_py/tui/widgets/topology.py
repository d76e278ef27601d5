"""A node's topology drawn: a small graph (NUMA node > PCIe switch > devices, NvLinks) and
the matrix `nvidia-smi topo -m` prints. The text comes from pure functions, testable without
Textual; `TopologyView` only draws it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

from allsmi_py.model import DeviceReading, NodeSnapshot
from allsmi_py.topology import PATH_MEANINGS, Topology, TopologyDevice
from allsmi_py.tui.style import ACCENT, HEADER, MUTED

NO_TOPOLOGY = ("No topology from this node: its devices do not say how they are joined "
               "(NVML on NVIDIA, or a simulated node: --mock h100:8), or it serves only "
               "/metrics (all-smi).")
CPU_COLUMN, NUMA_COLUMN = "CPU Affinity", "NUMA Affinity"


def device_names(topology: Topology, devices: Sequence[DeviceReading] = ()) -> dict[int, str]:
    """GPU0, NPU3...: the name topo -m gives each device (its kind, else GPU, and index)."""
    kinds = {d.index: d.kind for d in devices if d.backend == topology.backend}
    return {d.index: f"{kinds.get(d.index, 'gpu').upper()}{d.index}" for d in topology.devices}


def matrix_cells(topology: Topology, names: Mapping[int, str] | None = None) -> list[list[str]]:
    """The topo -m matrix as cells: a header row, then one row per device (X on itself)."""
    names = names or device_names(topology)
    pairs = topology.pairs()
    devices = topology.devices
    rows = [["", *(names[d.index] for d in devices), CPU_COLUMN, NUMA_COLUMN]]
    for row in devices:
        cells = [names[row.index]]
        for col in devices:
            link = pairs.get((row.index, col.index))
            cells.append("X" if col.index == row.index else link.label if link else "N/A")
        cells.append(row.cpu_affinity or "N/A")
        cells.append("N/A" if row.numa_node is None else str(row.numa_node))
        rows.append(cells)
    return rows


def matrix_text(topology: Topology, names: Mapping[int, str] | None = None) -> str:
    """The matrix as aligned columns (topo -m aligns its with tabs), then the legend."""
    rows = matrix_cells(topology, names)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
             .rstrip() for row in rows]
    used = {link.path for link in topology.links}
    legend = [f"  {'NV#' if path == 'NV' else path:<4} = {meaning}"
              for path, meaning in PATH_MEANINGS.items() if path in used]
    return "\n".join([*lines, *([""] + legend if legend else [])])


def _bandwidth(mb_s: int | None) -> str:
    return "" if mb_s is None else f", {mb_s / 1000:.0f} GB/s each way"


def nvlink_lines(topology: Topology, names: Mapping[int, str]) -> list[str]:
    """The NvLinks in words: the NVSwitch domain, the direct pairs, links down."""
    lines: list[str] = []
    switched = [d for d in topology.devices if d.nvswitch]
    if switched:
        counts = sorted({d.nvlinks_up for d in switched})
        versions = sorted({d.nvlink_version for d in switched if d.nvlink_version})
        pair = next((link for link in topology.links
                     if link.path == "NV" and {link.a, link.b} <= {d.index for d in switched}),
                    None)
        members = [names[d.index] for d in switched]
        listed = ", ".join(members) if len(members) <= 4 else (
            f"{members[0]} … {members[-1]} ({len(members)})")
        lines.append(
            f"NVSwitch: {listed} all-to-all, "
            f"{'/'.join(map(str, counts))} NvLinks up each"
            + (f" (NvLink {'/'.join(versions)})" if versions else ""))
        if pair is not None:
            lines.append(f"  a pair shares NV{pair.nvlinks}{_bandwidth(pair.bandwidth_mb_s)}")
    switch_set = {d.index for d in switched}
    for link in topology.links:
        if link.path == "NV" and not {link.a, link.b} <= switch_set:
            lines.append(f"NvLink: {names[link.a]} <-> {names[link.b]} {link.label}"
                         f"{_bandwidth(link.bandwidth_mb_s)}")
    down = [d for d in topology.devices if d.nvlinks_down]
    if down:
        lines.append("NvLinks down: " + ", ".join(
            f"{names[d.index]} {d.nvlinks_down}" for d in down))
    if not lines:
        lines.append("NvLink: none (the devices reach each other over PCIe only)")
    return lines


def graph_lines(topology: Topology, names: Mapping[int, str] | None = None) -> list[str]:
    """Devices under their NUMA node and PCIe switch, then the NvLinks."""
    names = names or device_names(topology)
    by_node: dict[int | None, list[TopologyDevice]] = {}
    for device in topology.devices:
        by_node.setdefault(device.numa_node, []).append(device)
    lines: list[str] = []
    for node in sorted(by_node, key=lambda n: (n is None, n or 0)):
        members = by_node[node]
        cpus = next((d.cpu_affinity for d in members if d.cpu_affinity), None)
        head = "NUMA node ?" if node is None else f"NUMA node {node}"
        lines.append(head + (f"  (CPUs {cpus})" if cpus else ""))
        groups: dict[str | None, list[TopologyDevice]] = {}
        for device in members:
            groups.setdefault(device.pcie_switch, []).append(device)
        branches = [(f"PCIe switch {switch}: " if switch else "")
                    + ", ".join(names[d.index] for d in group)
                    for switch, group in groups.items() if switch]
        branches += [names[d.index] for d in groups.get(None, [])]
        for pos, branch in enumerate(branches):
            lines.append(("└─ " if pos == len(branches) - 1 else "├─ ") + branch)
    return [*lines, *nvlink_lines(topology, names)]


def topology_view(snapshot: NodeSnapshot | None,
                  placeholder: str = NO_TOPOLOGY) -> RenderableType:
    """The graph, then the matrix, of a snapshot's topology; `placeholder` without one."""
    topology = None if snapshot is None else snapshot.topology
    if snapshot is None or topology is None or not topology.devices:
        return Text(placeholder, style=MUTED)
    graph, matrix = topology_texts(snapshot, topology)
    source = f"  {len(topology.devices)} devices · {topology.source or 'unknown source'}"
    # no wrapping: a wrapped matrix row is unreadable; the panel scrolls sideways instead
    return Group(Text(f"{snapshot.hostname}{source}", style=ACCENT),
                 Text(graph, no_wrap=True), Text(""),
                 Text("Matrix (as nvidia-smi topo -m)", style=HEADER),
                 Text(matrix, no_wrap=True))


def topology_texts(snapshot: NodeSnapshot, topology: Topology) -> tuple[str, str]:
    """The graph and the matrix of a snapshot's topology, named after its devices."""
    names = device_names(topology, snapshot.devices)
    return "\n".join(graph_lines(topology, names)), matrix_text(topology, names)


class TopologyView(Widget):
    """The topology of one snapshot (the local node, or the cluster's open node)."""

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.snapshot: NodeSnapshot | None = None
        self.placeholder = NO_TOPOLOGY

    def show(self, snapshot: NodeSnapshot | None, placeholder: str = NO_TOPOLOGY) -> None:
        """Draw this snapshot's topology, or `placeholder` without one; only on a change
        (the topology of a node rarely changes, its snapshot every round)."""
        before = self._drawn()
        self.snapshot, self.placeholder = snapshot, placeholder
        if self._drawn() != before:
            self.refresh(layout=True)

    def _drawn(self) -> tuple[object, ...]:
        snap = self.snapshot
        if snap is None:
            return (self.placeholder,)
        kinds = tuple(d.kind for d in snap.devices)
        return (self.placeholder, snap.hostname, snap.topology, kinds)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        """As wide as the longest line of the graph or matrix (the message wraps)."""
        snap = self.snapshot
        if snap is None or snap.topology is None or not snap.topology.devices:
            return super().get_content_width(container, viewport)
        return max(cell_len(line) for text in topology_texts(snap, snap.topology)
                   for line in text.splitlines())

    def render(self) -> RenderableType:
        """The graph and matrix."""
        return topology_view(self.snapshot, self.placeholder)
