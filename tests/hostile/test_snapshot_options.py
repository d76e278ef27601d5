"""Hostile --include and --query values: capped, checked against the model, one line each."""

from __future__ import annotations

import pytest

from allsmi_py.commands.snapshot_parts import MAX_INCLUDE_CHARS, parse_include
from allsmi_py.commands.snapshot_query import MAX_PATH_CHARS, MAX_PATHS, parse_query
from allsmi_py.errors import UsageError
from allsmi_py.model import NodeSnapshot
from backends.mock.backend import MockBackend


@pytest.mark.parametrize(("query", "words"), [
    ("devices." + "x" * (MAX_PATH_CHARS + 1), f"longer than {MAX_PATH_CHARS}"),
    (",".join(["hostname"] * (MAX_PATHS + 1)), f"at most {MAX_PATHS}"),
    (",,, ,", "names no path"),
    ("devices.details.", "unknown path"),
    ("devices.details.a.b", "unknown path"),
    ("devices.to_dict", "unknown path"),
    ("__init__", "unknown path"),
    ("devices.processes", "is a group of fields"),
    ("host\0.cpu", "unknown path"),
    ("devices.processes.pid,host.disks.mount_point", "lie in different lists"),
    ("devices.mig_instances.uuid,devices.processes.pid", "lie in different lists"),
])
def test_bad_queries_are_refused(query: str, words: str) -> None:
    with pytest.raises(UsageError, match=words):
        parse_query([query], cluster=True)


def test_an_unknown_path_is_shown_cut_short() -> None:
    with pytest.raises(UsageError) as caught:
        parse_query(["zz" * 90], cluster=False)
    assert len(str(caught.value)) < 250


@pytest.mark.parametrize(("value", "words"), [
    ("gpu," * 60, f"longer than {MAX_INCLUDE_CHARS}"),
    ("gpu,../../etc", "unknown part '../../etc'"),
    ("gpu\0", "unknown part"),
    ("", "names no part"),
])
def test_bad_includes_are_refused(value: str, words: str) -> None:
    with pytest.raises(UsageError, match=words):
        parse_include([value])


def test_a_mapping_key_is_any_text_but_never_reaches_getattr() -> None:
    query = parse_query(["devices.details.__class__"], cluster=False)
    devices = tuple(MockBackend(spec="h100:1", seed=1).read())
    rows = list(query.node_rows(NodeSnapshot(hostname="n", taken_at_s=0.0, devices=devices)))
    assert rows == [[""]]
