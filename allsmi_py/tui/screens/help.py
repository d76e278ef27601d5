"""The help screen: every key, and how to read the view."""

from __future__ import annotations

from typing import Literal

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from allsmi_py.tui.style import (
    ACCENT,
    DOWN,
    FILL_STEPS,
    GRID_STEPS,
    SHUTDOWN_MARGIN_C,
    SLOWDOWN_MARGIN_C,
)

HelpMode = Literal["local", "cluster"]

KEYS: tuple[tuple[str, str], ...] = (
    ("q", "quit"),
    ("h  ?", "open or close this help"),
    ("Esc", "close help or the alert panel"),
    ("f", "processes: only those holding GPU memory / all"),
    ("g", "sort processes by GPU memory (again: reverse)"),
    ("u", "sort processes by GPU utilization"),
    ("c", "sort processes by CPU %"),
    ("m", "sort processes by host memory"),
    ("p", "sort processes by PID"),
    ("e", "sort processes by elapsed time"),
    ("n", "sort processes by user name"),
    ("/", "filter processes: user, command, container, pod or namespace contains the text;"
          " Enter keeps it, Esc closes"),
    ("t", "processes as a parent/child tree (siblings in the sort order; a GPU process's "
          "host ancestors too) / a flat list"),
    ("H", "processes: add every host process (first 2000, DEV 'host') / accelerator ones only"),
    ("", "with the process table focused, its bottom border shows the selected process's"
         " GPU memory and GPU% history"),
    ("click", "a column header sorts by it; clicking again reverses"),
    ("↑ ↓ PgUp PgDn", "move in the process table / scroll the devices"),
    ("k", "send SIGTERM to the selected process (asks first: y / Enter sends, n / Esc not)"),
    ("K", "send SIGKILL to the selected process (asks first)"),
    ("I", "send SIGINT to the selected process (asks first)"),
    ("s", "send any signal, by name or number (HUP, USR1, 10), to the selected process"),
    ("S", "choose the signal for the selected process from a list (TERM, INT, KILL, HUP ...)"),
    ("", "another user's process needs root; --readonly (local.readonly) removes k K I s S"),
    ("Tab", "move focus between the device cards and the process table"),
    ("Enter", "on a device card: throttle reasons, ECC, PCIe, encoder, NUMA, MIG (again: hide)"),
    ("Enter", "on a process: its GPU memory, GPU%, CPU% and host memory over time (Esc: back)"),
    ("a  A", "show or hide the alert history"),
    ("o", "topology: devices by NUMA node and PCIe switch, NvLinks, the topo -m matrix"),
    ("T", "switch between dark and light theme"),
)

CLUSTER_KEYS: tuple[tuple[str, str], ...] = (
    ("q", "quit"),
    ("h  ?", "open or close this help"),
    ("d", "sort devices by node, then index (again: reverse)"),
    ("u", "sort devices by utilization (most first; again: reverse)"),
    ("g", "sort devices by memory used"),
    ("t", "sort devices by temperature"),
    ("p", "sort devices by power draw"),
    ("/", "filter devices; Enter keeps the query, Esc closes the bar"),
    ("", "words match the node name, address or device name: gpu-0012 h100"),
    ("", "conditions: util>50 mem>90 temp>=80 power>300 (> >= < <= = !=)"),
    ("", "every term must match; -word excludes; a | b keeps devices matching either"),
    ("", "a device not reporting a field never matches a condition on it"),
    ("[  ]", "previous / next tab: All devices, Node, Users, Topology"),
    ("o", "Topology tab: the open node's NUMA nodes, PCIe switches, NvLinks and matrix"),
    ("V", "Users tab: who holds which GPUs across the cluster"),
    ("w", "Users tab by user, then Kubernetes namespace, then pod (again: the next; opens it)"),
    ("Enter", "on a device row or a node in the grid: open that node in the Node tab"),
    ("click", "a node in the grid opens it; a double click on a row opens its node"),
    ("↑ ↓ PgUp PgDn", "move in the device table; ← → ↑ ↓ in the node grid"),
    ("", "in the Node tab: scroll the open node by line or page"),
    ("Home End", "first / last device; top / bottom of the Node tab"),
    ("Tab", "move focus between the node grid, the tab bar and the open tab"),
    ("a  A", "show or hide the alert history; the header counts the alerts"),
    ("m", "mute or unmute alert toasts (a toast: the open node's alert level changed)"),
    ("Esc", "close the filter bar, then the alert panel, then clear the filter"),
    ("T", "switch between dark and light theme"),
)

# The legends quote the bounds of style.py's ladders, so they say what the colours do.
_FILL_RED, _FILL_ORANGE = (f"{bound:.0f}%" for bound, _colour in FILL_STEPS[:2])
_GRID_RED, _GRID_YELLOW, _GRID_GREEN = (f"{bound:.0f}%" for bound, _colour in GRID_STEPS[:3])

LEGEND = (
    f"Gauges: green busy, orange above {_FILL_ORANGE}, red above {_FILL_RED}. Temperatures "
    f"turn orange {SLOWDOWN_MARGIN_C:.0f} °C below the device's slowdown point and red "
    f"{SHUTDOWN_MARGIN_C:.0f} °C below shutdown (config [alerts] when the "
    "device does not say). A card with an orange or red frame has an alert; `a` lists them. "
    "N/A means the device does not report that value."
)

CLUSTER_LEGEND = (
    "Node grid: one cell per node, coloured by its mean utilization (grey idle, green above "
    f"{_GRID_GREEN}, yellow above {_GRID_YELLOW}, red above {_GRID_RED}); {DOWN} marks a node "
    "that did not answer this round, listed under CONNECTION LOST with its error and the time "
    "since last contact. A stale "
    "node's devices stay in the table, greyed, marked stale. STATE shows ⚠ warn or critical "
    "for a device with an alert (thresholds from the [alerts] section of the config). "
    "N/A means the device does not report that value."
)


def help_text(mode: HelpMode = "local") -> Table:
    """The key table of a view (local or cluster) with its legend under it."""
    keys, legend = (CLUSTER_KEYS, CLUSTER_LEGEND) if mode == "cluster" else (KEYS, LEGEND)
    table = Table.grid(padding=(0, 2))
    table.add_column(style=ACCENT, no_wrap=True)
    table.add_column()
    for key, action in keys:
        table.add_row(key, action)
    table.add_row("", "")
    table.add_row("", Text(legend))
    return table


class HelpScreen(ModalScreen[None]):
    """Keys and legend of the view it opens over (local: the default, or cluster)."""

    BINDINGS = [
        Binding("escape,h,question_mark", "close", "Close help"),
        Binding("q", "app.quit", "Quit"),  # q quits from anywhere, as in all-smi
    ]

    def __init__(self, mode: HelpMode = "local") -> None:
        super().__init__()
        self.mode: HelpMode = mode

    def compose(self) -> ComposeResult:
        """One scrolling panel."""
        with VerticalScroll(id="help-panel"):
            yield Static(help_text(self.mode), id="help-text")

    def on_mount(self) -> None:
        """Title the panel."""
        title = "cluster view" if self.mode == "cluster" else "local view"
        self.query_one("#help-panel").border_title = f"allsmi-py help: {title}"

    def action_close(self) -> None:
        """Back to the view."""
        self.dismiss(None)
