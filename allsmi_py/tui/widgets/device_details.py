"""What an expanded device card adds under its three lines (issue 17 item 3).

Throttle reasons by name (highlighted: each one named holds the clocks back now), ECC mode
and error counts, the PCIe link (generation and width, current of max) and its throughput,
encoder and decoder use, the NUMA node, each MIG instance with its memory and, where
the driver gives it, utilization, and the pods the kubelet gave the device to. Only what the
device reports is drawn.
"""

from __future__ import annotations

from allsmi_py.model import DeviceReading, MigInstanceReading, WorkloadReading
from allsmi_py.tui.format import used_of_total
from allsmi_py.tui.style import ACCENT, LEVEL_STYLE, MUTED, fill_colour
from allsmi_py.tui.widgets.bars import Line, Span
from allsmi_py.units import format_bytes, format_pct

NOTHING_MORE = "This device reports no throttle, ECC, PCIe, encoder or MIG readings."
MAX_PODS_SHOWN = 8  # a time-sliced GPU shared by more pods says how many more
# NVML names "gpu_idle" when the clocks are low because there is no work: not a slowdown.
_BENIGN_REASONS = frozenset({"gpu_idle"})


def _throttle(device: DeviceReading) -> list[Span]:
    reasons = device.throttle_reasons
    if reasons is None:
        return []
    if not reasons:
        return [("Throttle ", ACCENT), ("none", MUTED)]
    spans: list[Span] = [("Throttle ", ACCENT)]
    for number, reason in enumerate(reasons):
        style = "" if reason in _BENIGN_REASONS else LEVEL_STYLE["warn"]
        spans += [(", " if number else "", ""), (reason.replace("_", " "), style)]
    return spans


def _count(label: str, now: int | None, total: int | None, level: str) -> list[Span]:
    if now is None and total is None:
        return []
    style = LEVEL_STYLE[level] if (now or total) else ""
    text = "N/A" if now is None else str(now)
    if total is not None:
        text += f" (total {total})"
    return [(f"  {label} ", ACCENT), (text, style)]


def _ecc(device: DeviceReading) -> list[Span]:
    counts = [*_count("corrected", device.ecc_errors_corrected_volatile,
                      device.ecc_errors_corrected_aggregate, "warn"),
              *_count("uncorrected", device.ecc_errors_uncorrected_volatile,
                      device.ecc_errors_uncorrected_aggregate, "critical")]
    if device.ecc_enabled is None and not counts:
        return []
    mode = "N/A" if device.ecc_enabled is None else ("on" if device.ecc_enabled else "off")
    return [("ECC ", ACCENT), (mode, ""), *counts]


def _of_max(now: int | None, most: int | None) -> str:
    if now is None:
        return "N/A" if most is None else f"?/{most}"
    return str(now) if most is None else f"{now}/{most}"


def _pcie(device: DeviceReading) -> list[Span]:
    link = (device.pcie_gen_current, device.pcie_gen_max, device.pcie_width_current,
            device.pcie_width_max)
    rates = (device.pcie_tx_bytes_per_s, device.pcie_rx_bytes_per_s)
    if all(v is None for v in (*link, *rates)):
        return []
    narrow = (device.pcie_width_current is not None and device.pcie_width_max is not None
              and device.pcie_width_current < device.pcie_width_max)
    spans: list[Span] = [("PCIe ", ACCENT),
                         (f"Gen {_of_max(device.pcie_gen_current, device.pcie_gen_max)}", ""),
                         (f"  x{_of_max(device.pcie_width_current, device.pcie_width_max)}",
                          LEVEL_STYLE["warn"] if narrow else "")]
    for label, rate in (("TX", rates[0]), ("RX", rates[1])):
        if rate is not None:
            spans += [(f"  {label} ", ACCENT), (f"{format_bytes(rate)}/s", "")]
    return spans


def _engines(device: DeviceReading) -> list[Span]:
    spans: list[Span] = []
    for label, pct in (("Enc", device.encoder_utilization_pct),
                       ("Dec", device.decoder_utilization_pct)):
        if pct is not None:
            spans += [(f"{'  ' if spans else ''}{label} ", ACCENT), (format_pct(pct),
                                                                    fill_colour(pct))]
    if device.numa_node is not None:
        spans += [(f"{'  ' if spans else ''}NUMA ", ACCENT), (str(device.numa_node), "")]
    return spans


def mig_spans(mig: MigInstanceReading) -> list[Span]:
    """One MIG instance: profile, instance ids, memory, and utilization where given."""
    ids = " ".join(f"{name} {value}" for name, value in (("GI", mig.gpu_instance_id),
                                                          ("CI", mig.compute_instance_id))
                   if value is not None)
    spans: list[Span] = [("  • ", MUTED), (mig.profile or mig.uuid, ACCENT)]
    if ids:
        spans.append((f" {ids}", MUTED))
    spans += [("  Mem ", ACCENT), (used_of_total(mig.memory_used_bytes, mig.memory_total_bytes),
                                   "")]
    if mig.utilization_pct is not None:
        spans += [("  Util ", ACCENT), (format_pct(mig.utilization_pct),
                                        fill_colour(mig.utilization_pct))]
    if mig.memory_utilization_pct is not None:
        spans += [("  Mem util ", ACCENT), (format_pct(mig.memory_utilization_pct), "")]
    return spans


def pod_spans(workload: WorkloadReading) -> list[Span]:
    """One pod container holding the device: namespace/pod, and the container's name."""
    spans: list[Span] = [("Pod ", ACCENT), (workload.label or "N/A", "")]
    if workload.container:
        spans.append((f"  container {workload.container}", MUTED))
    return spans


def _pods(device: DeviceReading) -> list[Line]:
    shown = device.workloads[:MAX_PODS_SHOWN]
    lines = [tuple(pod_spans(w)) for w in shown]
    hidden = len(device.workloads) - len(shown)
    if hidden:
        lines.append(((f"  and {hidden} more pod container{'s' if hidden != 1 else ''}",
                       MUTED),))
    return lines


def detail_lines(device: DeviceReading) -> list[Line]:
    """The expanded card's extra lines; one muted line when the device reports none of them."""
    lines = [tuple(spans) for spans in (_throttle(device), _ecc(device), _pcie(device),
                                        _engines(device)) if spans]
    if device.mig_mode is not None or device.mig_instances:
        count = len(device.mig_instances)
        mode = "on" if device.mig_mode or device.mig_instances else "off"
        head: list[Span] = [("MIG ", ACCENT), (mode, "")]
        if count:
            head.append((f"  {count} instance{'s' if count != 1 else ''}", MUTED))
        lines.append(tuple(head))
        lines += [tuple(mig_spans(mig)) for mig in device.mig_instances]
    lines += _pods(device)
    return lines or [((NOTHING_MORE, MUTED),)]
