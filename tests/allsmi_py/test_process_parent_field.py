"""ProcessReading.ppid: JSON written before the field existed still decodes (as None), and a
value no pid can be is refused (decoding) or dropped (the plausibility guard)."""

from __future__ import annotations

import pytest

from allsmi_py.model import DeviceReading, ProcessReading
from allsmi_py.plausible.guard import guard
from allsmi_py.serialize import decode_json_as, dumps_json, from_plain, to_plain


def test_json_without_a_parent_decodes_with_none() -> None:
    old = b'{"pid": 42, "user": "alice", "gpu_memory_bytes": 1024}'
    assert decode_json_as(ProcessReading, old).ppid is None
    assert from_plain(ProcessReading, {"pid": 42}).ppid is None


def test_a_parent_round_trips_and_is_left_out_when_unknown() -> None:
    proc = ProcessReading(pid=42, ppid=7)
    assert decode_json_as(ProcessReading, dumps_json(to_plain(proc))) == proc
    assert "ppid" not in to_plain(ProcessReading(pid=42))


@pytest.mark.parametrize("body", [b'{"pid": 1, "ppid": "7"}', b'{"pid": 1, "ppid": 1.5}',
                                  b'{"pid": 1, "ppid": [7]}'])
def test_a_parent_that_is_not_a_whole_number_is_refused(body: bytes) -> None:
    with pytest.raises(ValueError):
        decode_json_as(ProcessReading, body)


def test_a_parent_no_pid_can_be_is_dropped_by_the_plausibility_guard() -> None:
    device = DeviceReading(backend="t", index=0, uuid="u", name="g", processes=(
        ProcessReading(pid=5, ppid=2**40), ProcessReading(pid=6, ppid=5)))
    out = guard(device)
    assert [p.ppid for p in out.processes] == [None, 5]
    assert any("ppid" in problem for problem in out.problems)
