"""`allsmi-mock history`: the past of N simulated nodes as OpenMetrics, for a real Prometheus.

`promtool tsdb create-blocks-from openmetrics FILE DIR` turns the file into TSDB blocks, and a
Prometheus started on DIR answers queries about a cluster no machine has to run: 10,000 nodes
x 8 GPUs x 30 minutes is one file, not 10,000 processes.

Each node is the mock simulator (`backends/mock`, seeded by seed and node name) stepped every
`step_s` from `start_s`, so its device values at step k are those `allsmi-mock --seed S
--epoch START --interval STEP` serves at step k; each family is rendered from the exporter's
own schema and scopes (labels, values, `format_value`), with the target labels a Prometheus
scraping node `node-0001` by that name adds (`job`, and `instance` where the exporter wrote
none: `honor_labels: true`), plus the target's `up`. OpenMetrics wants a family's samples
together (families never interleaved) and a series' samples in time order, so nodes are
simulated one at a time through every step, each family's lines go to a spool file of its
own, and the spools are joined at the end: memory holds one node's history, never the file.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import NoReturn, TextIO

from allsmi_py import __version__
from allsmi_py.errors import UsageError
from allsmi_py.exporter.render import escape_label_value, format_value, label_block
from allsmi_py.exporter.schema import BY_NAME, specs
from allsmi_py.exporter.schema.spec import MetricSpec
from allsmi_py.exporter.scopes import SCOPES, node_item
from allsmi_py.model import NodeSnapshot
from allsmi_py.settings import NUMBERS as CONFIG_NUMBERS
from allsmi_py.settings import NumberSetting, Range
from backends.mock.backend import MockBackend
from mock_server.host import HostSimulator, host_profile_for
from mock_server.plan import DEFAULT_SPEC, check_spec, node_name

PROG = "allsmi-mock history"
# What the Prometheus-backed view reads (node grid, device rows, Users tab): the default,
# about 50 series a node, where every family would be about 300.
VIEW_FAMILIES = (
    "all_smi_gpu_utilization",
    "all_smi_gpu_memory_used_bytes",
    "all_smi_gpu_memory_total_bytes",
    "all_smi_gpu_power_consumption_watts",
    "all_smi_gpu_temperature_celsius",
    "all_smi_process_memory_used_bytes",
)
# Scopes whose items come from the devices alone; any other needs the simulated host.
_DEVICE_SCOPES = frozenset({"node", "device", "process", "energy", "instance"})
DEFAULT_JOB = "allsmi"
MAX_JOB_CHARS = 128
NUMBERS = {n.name: n for n in (
    NumberSetting("nodes", int, Range(1, 100_000)),
    NumberSetting("minutes", float, Range(0, 10_080.0, min_exclusive=True, unit="minutes")),
    NumberSetting("step", float, Range(1, 3600.0, unit="seconds")),
    NumberSetting("start", float, Range(0, 253_402_300_799.0, unit="seconds")),
    NumberSetting("start-index", int, Range(0, 999_999)),
)}
NUMBERS["seed"] = CONFIG_NUMBERS["mock.seed"]
MAX_STEPS = 100_000


@dataclass(frozen=True, slots=True)
class HistoryPlan:
    """What to write: which nodes, which families, which timestamps."""

    nodes: int
    start_s: float  # the first timestamp (Unix seconds)
    steps: int  # timestamps start_s, start_s + step_s, ... (steps of them)
    step_s: float
    seed: int = 0
    spec: str = DEFAULT_SPEC
    families: tuple[str, ...] = VIEW_FAMILIES
    job: str = DEFAULT_JOB
    start_index: int = 1

    def node_names(self) -> Iterator[str]:
        """The nodes' names in file order: node-0001, node-0002, ..."""
        return (node_name(self.start_index + i) for i in range(self.nodes))

    def timestamp(self, step: int) -> float:
        """Unix seconds of step `step`."""
        return self.start_s + step * self.step_s


@dataclass(frozen=True, slots=True)
class HistoryStats:
    """What `write_history` wrote."""

    samples: int
    series: int
    bytes: int
    seconds: float


def timestamp_text(t: float) -> str:
    """An OpenMetrics timestamp: whole seconds plainly, otherwise to the millisecond."""
    return str(int(t)) if float(t).is_integer() else f"{t:.3f}"


def family_header(spec: MetricSpec) -> str:
    """HELP and TYPE lines; an OpenMetrics counter family is named without `_total`."""
    family = spec.name.removesuffix("_total") if spec.type == "counter" else spec.name
    text = spec.help.replace("\\", "\\\\").replace("\n", "\\n")
    return f"# HELP {family} {text}\n# TYPE {family} {spec.type}\n"


UP_HEADER = "# HELP up 1 if the target's last scrape succeeded\n# TYPE up gauge\n"


def resolve_families(names: Sequence[str]) -> tuple[MetricSpec, ...]:
    """The specs of `names` in the exporter's order; UsageError naming an unknown family."""
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise UsageError(f"unknown family {unknown[0][:80]!r}: use names from the exporter's "
                         "schema (allsmi_py/exporter/schema), 'view' or 'all'")
    wanted = set(names)
    return tuple(s for s in specs(include_processes=True) if s.name in wanted)


class NodeHistory:
    """One simulated node stepped through the plan, its lines grouped by family."""

    def __init__(self, plan: HistoryPlan, name: str, families: tuple[MetricSpec, ...]) -> None:
        self.plan = plan
        self.name = name
        self.families = families
        self.backend = MockBackend(plan.spec, seed=plan.seed, node=name,
                                   start_time_s=plan.start_s)
        needs_host = any(s.scope not in _DEVICE_SCOPES for s in families)
        self.host = HostSimulator(host_profile_for(plan.spec), f"{plan.seed}:{name}:host",
                                  plan.start_s) if needs_host else None
        self.job_label = f'job="{escape_label_value(plan.job)}"'
        # Prometheus gives a series the target's instance when the exporter wrote none
        # (process series); the target here is addressed by the node's name.
        self._target = {
            scope: self.job_label + ("" if "instance" in SCOPES[scope].labels
                                     else f',instance="{escape_label_value(name)}"')
            for scope in {s.scope for s in families}}
        self._blocks: dict[tuple[str, tuple[str, ...]], str] = {}

    def snapshot(self, step: int) -> NodeSnapshot:
        """The node at `step` (steps must be asked for in order, each once)."""
        if step:
            self.backend.advance(self.plan.step_s)
            if self.host is not None:
                self.host.advance(self.plan.step_s)
        return NodeSnapshot(self.name, self.plan.timestamp(step), tuple(self.backend.readings()),
                            self.host.reading() if self.host is not None else None, (),
                            __version__, None)

    def lines(self) -> tuple[list[str], dict[str, list[list[str]]]]:
        """`up` lines, and each family's series over every step: each a list of lines in time
        order."""
        per_series: dict[str, dict[str, list[str]]] = {s.name: {} for s in self.families}
        up: list[str] = []
        up_series = f'up{{{self.job_label},instance="{escape_label_value(self.name)}"}} 1 '
        for step in range(self.plan.steps):
            snapshot = self.snapshot(step)
            ts = " " + timestamp_text(snapshot.taken_at_s) + "\n"
            up.append(up_series + ts[1:])
            node = node_item(snapshot, True)
            items: dict[str, list[tuple[tuple[str, ...], object]]] = {}
            for spec in self.families:
                scope_items = items.get(spec.scope)
                if scope_items is None:
                    scope_items = items[spec.scope] = SCOPES[spec.scope].items(snapshot, node)
                series = per_series[spec.name]
                for values, obj in scope_items:
                    head = self._series_head(spec, values, obj)
                    if head is None:
                        continue
                    value = spec.value(obj)
                    text = None if value is None else format_value(value)
                    if text is not None:
                        series.setdefault(head, []).append(head + text + ts)
        return up, {name: list(series.values()) for name, series in per_series.items()}

    def _series_head(self, spec: MetricSpec, values: tuple[str, ...], obj: object) -> str | None:
        key = (spec.scope, values)
        block = self._blocks.get(key)
        if block is None:
            block = self._blocks[key] = label_block(SCOPES[spec.scope].labels, values)
        if spec.extra is not None:
            pairs = spec.extra(obj)
            if pairs is None:
                return None
            block += "".join(f',{k}="{escape_label_value(v)}"' for k, v in pairs)
        return f"{spec.name}{{{self._target[spec.scope]},{block}}} "


def write_history(plan: HistoryPlan, out: TextIO, spool_dir: str | None = None,
                  progress: Callable[[int], None] | None = None) -> HistoryStats:
    """Write the plan's OpenMetrics (ending in `# EOF`) to `out`; spools live in `spool_dir`."""
    started = time.perf_counter()
    families = resolve_families(plan.families)
    samples = series = 0
    with tempfile.TemporaryDirectory(prefix="allsmi-history-", dir=spool_dir) as tmp:
        names = ["up", *(s.name for s in families)]
        with ExitStack() as stack:
            spools = {n: stack.enter_context(open(os.path.join(tmp, n), "w", encoding="utf-8"))
                      for n in names}
            for done, name in enumerate(plan.node_names(), 1):
                up, per_family = NodeHistory(plan, name, families).lines()
                spools["up"].writelines(up)
                samples += len(up)
                series += 1
                for family, family_series in per_family.items():
                    spool = spools[family]
                    for lines in family_series:
                        spool.writelines(lines)
                        samples += len(lines)
                    series += len(family_series)
                if progress is not None:
                    progress(done)
        headers = {"up": UP_HEADER} | {s.name: family_header(s) for s in families}
        for name in names:
            out.write(headers[name])
            out.flush()
            with open(os.path.join(tmp, name), encoding="utf-8") as spool:
                shutil.copyfileobj(spool, out, 1 << 20)
        out.write("# EOF\n")
    size = out.tell() if out.seekable() else 0
    return HistoryStats(samples, series, size, time.perf_counter() - started)


def write_history_file(plan: HistoryPlan, path: str,
                       progress: Callable[[int], None] | None = None) -> HistoryStats:
    """write_history to `path`, whole or not at all (spools beside it)."""
    folder = os.path.dirname(os.path.abspath(path))
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        with open(tmp, "w", encoding="utf-8") as out:
            stats = write_history(plan, out, folder, progress)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return stats


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see {PROG} --help)")


def _number(name: str) -> Callable[[str], object]:
    return NUMBERS[name].flag_type()


def _seconds(text: str) -> object:
    """'15s', '2m' or '15' (seconds) as the `step` number."""
    scale = {"s": 1.0, "m": 60.0}.get(text.strip()[-1:].lower(), 0.0)
    number = text.strip()[:-1] if scale else text
    value = _number("step")(number)
    if scale and isinstance(value, float):
        return NUMBERS["step"].check(value * scale)
    return value


def build_parser() -> argparse.ArgumentParser:
    """The command line of `allsmi-mock history`."""
    p = _Parser(prog=PROG, description="Write the OpenMetrics history of simulated nodes "
                "for `promtool tsdb create-blocks-from openmetrics FILE DIR`.")
    p.add_argument("--out", required=True, metavar="FILE", help="the OpenMetrics file to write")
    p.add_argument("--nodes", type=_number("nodes"), default=10, help="node count (default 10)")
    p.add_argument("--minutes", type=_number("minutes"), default=30.0,
                   help="how much history (default 30)")
    p.add_argument("--step", type=_seconds, default=15.0,
                   help="time between samples: 15s, 1m or seconds (default 15s)")
    p.add_argument("--start", type=_number("start"),
                   help="Unix time of the first sample (default: --minutes before now)")
    p.add_argument("--mock", metavar="SPEC", default=DEFAULT_SPEC,
                   help=f"devices of every node (default {DEFAULT_SPEC})")
    p.add_argument("--seed", type=_number("seed"), default=0, help="seed of values (default 0)")
    p.add_argument("--families", default="view",
                   help="'view' (what the Prometheus-backed view reads, the default), 'all', "
                   "or comma-separated family names")
    p.add_argument("--job", default=DEFAULT_JOB, help=f"the job label (default {DEFAULT_JOB})")
    p.add_argument("--start-index", type=_number("start-index"), default=1,
                   help="number of the first node name (node-0001)")
    return p


def plan_from_args(args: argparse.Namespace, now_s: float) -> HistoryPlan:
    """The plan the flags ask for; UsageError naming the problem."""
    steps = int(args.minutes * 60 // args.step) + 1
    if steps > MAX_STEPS:
        raise UsageError(f"--minutes {args.minutes:g} at --step {args.step:g}s is {steps} "
                         f"steps, more than {MAX_STEPS}: use a longer --step")
    families: tuple[str, ...]
    if args.families == "view":
        families = VIEW_FAMILIES
    elif args.families == "all":
        families = tuple(s.name for s in specs(include_processes=True))
    else:
        families = tuple(n.strip() for n in args.families.split(",") if n.strip())
        if not families:
            raise UsageError("empty --families: write 'view', 'all' or family names")
        resolve_families(families)
    if not args.job or len(args.job) > MAX_JOB_CHARS or not args.job.isprintable():
        raise UsageError(f"bad --job: 1 to {MAX_JOB_CHARS} printable characters")
    start = args.start if args.start is not None else float(
        int(now_s - (steps - 1) * args.step))
    return HistoryPlan(nodes=args.nodes, start_s=start, steps=steps, step_s=args.step,
                       seed=args.seed, spec=check_spec(args.mock, "--mock"), families=families,
                       job=args.job, start_index=args.start_index)


def main(argv: list[str] | None = None) -> int:
    """Write the history file; 2 on bad input, 0 when written."""
    try:
        args = build_parser().parse_args(argv)
        plan = plan_from_args(args, time.time())
        stats = write_history_file(plan, args.out)
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{PROG}: error: cannot write {args.out}: {exc.strerror}", file=sys.stderr)
        return 2
    rate = plan.nodes * plan.steps / stats.seconds if stats.seconds else 0.0
    print(f"{PROG}: {plan.nodes} nodes x {plan.steps} steps ({stats.series} series, "
          f"{stats.samples} samples, {stats.bytes / 1e6:.1f} MB) in {stats.seconds:.1f} s "
          f"({rate:.0f} node-steps/s) to {args.out}; from {timestamp_text(plan.start_s)} "
          f"every {plan.step_s:g} s", flush=True)
    return 0
