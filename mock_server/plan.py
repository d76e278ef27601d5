"""The cluster plan: which node gets which devices, port and fault. Pure and seeded.

Everything the server will do is decided here before a socket is opened, so bad input
fails with nothing started, and the same seed always gives the same cluster.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from allsmi_py.errors import UsageError
from backends.mock.profiles import PROFILES, parse_spec

# all-smi's --platform names (inventory section 5) mapped to our closest profile.
PLATFORMS: dict[str, str] = {
    "nvidia": "h100",
    "apple": "m3max",
    "jetson": "orin",
    "intel": "arcb580",  # all-smi-mock's Intel default is an "Intel Arc B580 12GB"
    "tenstorrent": "n300",
    "tt": "n300",
    "rebellions": "atom",
    "rbln": "atom",
    "furiosa": "rngd",
    "gaudi": "gaudi3",
    "habana": "gaudi3",
    "amd": "mi300x",
    "amdgpu": "mi300x",
    "amd-gpu": "mi300x",
    "amd_gpu": "mi300x",
}
FAULTS = ("down", "timeout", "slow", "500", "truncated", "garbage", "huge", "flap")
DEFAULT_SPEC = "h100:8"


@dataclass(frozen=True, slots=True)
class Fault:
    """An injected failure: its kind and, for slow and flap, a duration in seconds."""

    kind: str
    seconds: float = 0.0

    def describe(self) -> str:
        """'slow:2.5' style text for the admin API and the start-up summary."""
        return f"{self.kind}:{self.seconds:g}" if self.kind in ("slow", "flap") else self.kind


@dataclass(frozen=True, slots=True)
class NodePlan:
    """One simulated node: name (also its hostname), port (0: chosen by the OS), devices, fault."""

    index: int
    name: str
    port: int
    spec: str
    fault: Fault | None = None


def apply_device_count(spec: str, devices_per_node: int | None) -> str:
    """Give every profile in SPEC without an explicit count `devices_per_node` devices."""
    if devices_per_node is None:
        return spec
    parts = []
    for part in spec.split(","):
        part = part.strip()
        if part and ":" not in part:
            part = f"{part}:{devices_per_node}"
        parts.append(part)
    return ",".join(parts)


def check_spec(spec: str, flag: str) -> str:
    """SPEC if the mock backend accepts it, else UsageError naming the flag and the fix."""
    try:
        parse_spec(spec)
    except ValueError as exc:
        raise UsageError(f"{flag} {spec!r}: {exc}") from None
    return spec


def platform_spec(platform: str) -> str:
    """The profile of an all-smi --platform name; UsageError listing the valid names."""
    key = platform.strip().lower()
    if key in PLATFORMS:
        return PLATFORMS[key]
    if key in PROFILES:
        return key
    raise UsageError(
        f"unknown --platform {platform!r}; use one of "
        f"{', '.join(sorted(set(PLATFORMS)))} or a profile: {', '.join(PROFILES)}"
    )


def parse_mix(text: str, devices_per_node: int | None) -> list[tuple[str, float]]:
    """'h100:8=60%,m3max=10%,rngd:4=30%' -> [(spec, fraction)]; '+' joins profiles in one node."""
    entries: list[tuple[str, float]] = []
    for item in (i.strip() for i in text.split(",")):
        if not item:
            continue
        spec, sep, share = item.rpartition("=")
        share = share.strip().rstrip("%")
        try:
            pct = float(share) if sep else -1.0
        except ValueError:
            pct = -1.0
        if not spec or not 0 < pct <= 100:
            raise UsageError(
                f"bad --mix entry {item!r}: write SPEC=PERCENT, "
                "e.g. --mix h100:8=60%,m3max=10%,rngd:4=30%"
            )
        node_spec = apply_device_count(spec.replace("+", ","), devices_per_node)
        entries.append((check_spec(node_spec, "--mix"), pct / 100.0))
    if not entries:
        raise UsageError("empty --mix: write e.g. --mix h100:8=60%,m3max=10%,rngd:4=30%")
    total = sum(share for _, share in entries)
    if abs(total - 1.0) > 1e-6:
        raise UsageError(f"--mix shares add up to {total * 100:g}%, not 100%: adjust them")
    return entries


def mix_assignment(entries: list[tuple[str, float]], nodes: int, seed: int) -> list[str]:
    """One spec per node: counts by largest remainder, order shuffled by the seed."""
    exact = [share * nodes for _, share in entries]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(entries)), key=lambda i: (counts[i] - exact[i], i))
    for i in by_remainder[: nodes - sum(counts)]:
        counts[i] += 1
    specs = [spec for (spec, _), count in zip(entries, counts, strict=True) for _ in range(count)]
    random.Random(f"{seed}:mix").shuffle(specs)
    return specs


def parse_fault_arg(kind: str, text: str) -> tuple[int, float]:
    """'3' -> (3, 0); for slow and flap 'K:SECONDS' -> (K, SECONDS); UsageError when malformed."""
    flag = f"--fail-{kind}" if kind != "flap" else "--flap"
    count_text, sep, seconds_text = text.partition(":")
    needs_seconds = kind in ("slow", "flap")
    try:
        count = int(count_text)
        seconds = float(seconds_text) if sep else 0.0
    except ValueError:
        count, seconds = -1, 0.0
    if count < 0 or (needs_seconds and not (sep and seconds > 0)) or (sep and not needs_seconds):
        form = "K:SECONDS, e.g. 2:1.5" if needs_seconds else "K, a node count"
        raise UsageError(f"bad {flag} {text!r}: write {form}")
    return count, seconds


def assign_faults(nodes: int, wanted: dict[str, tuple[int, float]], seed: int) -> dict[int, Fault]:
    """Node index -> fault; distinct nodes per fault, chosen by the seed."""
    total = sum(count for count, _ in wanted.values())
    if total > nodes:
        raise UsageError(
            f"failure flags ask for {total} failing nodes but there are only "
            f"{nodes}: lower the --fail-*/--flap counts or add nodes"
        )
    order = list(range(nodes))
    random.Random(f"{seed}:faults").shuffle(order)
    faults: dict[int, Fault] = {}
    position = 0
    for kind in FAULTS:
        count, seconds = wanted.get(kind, (0, 0.0))
        for index in order[position : position + count]:
            faults[index] = Fault(kind, seconds)
        position += count
    return faults


def parse_port_range(text: str) -> tuple[int, int]:
    """'10001-11024' or '10001' -> (first, last); UsageError when out of 1..65535 or reversed."""
    first_text, _, last_text = text.partition("-")
    try:
        first = int(first_text)
        last = int(last_text) if last_text else first
    except ValueError:
        first, last = 0, -1
    if not 1 <= first <= last <= 65535:
        raise UsageError(f"bad --port-range {text!r}: write A-B with 1 <= A <= B <= 65535")
    return first, last


def node_name(number: int) -> str:
    """node-0001 style names, as all-smi's mock server uses."""
    return f"node-{number:04d}"


def build_plan(
    specs: list[str], first_port: int, start_index: int, faults: dict[int, Fault]
) -> list[NodePlan]:
    """The nodes in port order; first_port 0 lets the OS pick every port."""
    if first_port and first_port + len(specs) - 1 > 65535:
        raise UsageError(
            f"{len(specs)} nodes from port {first_port} run past 65535: "
            "use a lower --start-port or fewer --nodes"
        )
    return [
        NodePlan(
            i, node_name(start_index + i), first_port + i if first_port else 0, spec, faults.get(i)
        )
        for i, spec in enumerate(specs)
    ]
