"""Property: what an SSH host prints decodes to a safe snapshot or to SshPayloadError only.

Each decoder of the SSH source (nvidia-smi CSV, rocm-smi JSON, all-smi's snapshot) gets
random bytes, and documents shaped like the real ones with hostile values in every cell.
Whatever it returns is already what the JSON check makes of it (every number within its
bound, every string clean) and can be written as JSON again.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allsmi_py.model import NodeSnapshot
from allsmi_py.remote.checked import checked_snapshot
from allsmi_py.remote.ssh_all_smi import all_smi_snapshot
from allsmi_py.remote.ssh_parse import (
    NVIDIA_FIELDS,
    SshPayloadError,
    nvidia_smi_snapshot,
    rocm_smi_snapshot,
)

FUZZ = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
Decoder = Callable[[bytes, str], NodeSnapshot]
DECODERS = (nvidia_smi_snapshot, rocm_smi_snapshot, all_smi_snapshot)
HOSTILE = ["\x1b[2J", "\u202e", "\x00", "\r", "\n", '"', ",", "nan", "inf", "-1", "1e400",
           "-0", "99999999999999999999999", "[N/A]", "N/A", " MiB", "P", "P99", "%", ""]
CELLS = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=6),
                  st.integers(-10**20, 10**20).map(str),
                  st.floats(allow_nan=True, allow_infinity=True).map(str))
VALUES = st.one_of(CELLS, st.integers(-10**20, 10**20), st.floats(), st.none(), st.booleans(),
                   st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3),
                                                                        st.text(max_size=3),
                                                                        max_size=2))


def _safe(snapshot: NodeSnapshot) -> None:
    assert checked_snapshot(snapshot) is snapshot  # nothing left for the JSON check to fix
    json.loads(snapshot.to_json())


def _decodes_or_refuses(decode: Decoder, body: bytes) -> None:
    try:
        snapshot = decode(body, "host")
    except SshPayloadError:
        return
    _safe(snapshot)


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes(body: bytes) -> None:
    for decode in DECODERS:
        _decodes_or_refuses(decode, body)


@FUZZ
@given(st.lists(st.lists(CELLS, min_size=1, max_size=25), max_size=4))
def test_nvidia_smi_rows_with_hostile_cells(rows: list[list[str]]) -> None:
    header = ", ".join(NVIDIA_FIELDS.split(","))
    width = len(NVIDIA_FIELDS.split(","))
    lines = [", ".join((row * width)[:width]) for row in rows]
    body = "\n".join([header, *lines]).encode("utf-8", errors="surrogatepass")
    _decodes_or_refuses(nvidia_smi_snapshot, body)


ROCM_KEYS = ["GPU use (%)", "GPU memory use (%)", "VRAM Total Memory (B)",
             "VRAM Total Used Memory (B)", "Temperature (Sensor edge) (C)",
             "Temperature (Sensor memory) (C)", "Average Graphics Package Power (W)",
             "Max Graphics Package Power (W)", "Card series", "Unique ID", "PCI Bus",
             "(Topology) Numa Node"]
ALL_SMI_GPU_KEYS = ["uuid", "name", "device_type", "utilization", "temperature", "used_memory",
                    "total_memory", "frequency", "power_consumption", "performance_state",
                    "fan_speed_rpm", "numa_node_id", "temperature_threshold_slowdown",
                    "detail"]


@FUZZ
@given(st.lists(st.fixed_dictionaries({}, optional={k: VALUES for k in ROCM_KEYS}),
                max_size=3), VALUES)
def test_rocm_smi_cards_with_hostile_values(cards: list[dict[str, object]],
                                            driver: object) -> None:
    document: dict[str, object] = {f"card{i}": card for i, card in enumerate(cards)}
    document["system"] = {"Driver version": driver}
    _decodes_or_refuses(rocm_smi_snapshot, json.dumps(document).encode())


@FUZZ
@given(st.lists(st.fixed_dictionaries({}, optional={k: VALUES for k in ALL_SMI_GPU_KEYS}),
                max_size=3),
       st.fixed_dictionaries({}, optional={k: VALUES for k in (
           "cpu_model", "utilization", "total_cores", "base_frequency_mhz", "temperature",
           "per_core_utilization")}),
       st.fixed_dictionaries({}, optional={k: VALUES for k in (
           "total_bytes", "used_bytes", "swap_total_bytes")}), VALUES)
def test_all_smi_documents_with_hostile_values(gpus: list[dict[str, object]],
                                               cpu: dict[str, object],
                                               memory: dict[str, object],
                                               hostname: object) -> None:
    document = {"schema": 1, "hostname": hostname, "gpus": gpus, "cpus": [cpu],
                "memory": [memory]}
    _decodes_or_refuses(all_smi_snapshot, json.dumps(document).encode())
