"""`allsmi snapshot --format json` carries the node's topology; `--include` keeps it with gpu."""

from __future__ import annotations

import json
from typing import Any

import pytest

from allsmi_py.cli import main


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    assert main(["snapshot", "--mock", "h100:8", "--seed", "4", "--format", "json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_json_snapshot_holds_the_simulated_hgx_topology(
        capsys: pytest.CaptureFixture[str]) -> None:
    topology = _json(capsys)["topology"]
    assert (topology["backend"], topology["source"]) == ("mock", "simulated")
    assert len(topology["devices"]) == 8 and len(topology["links"]) == 28
    assert topology["links"][0] == {"a": 0, "b": 1, "path": "NV", "nvlinks": 18,
                                    "bandwidth_mb_s": 18 * 26562, "pcie_path": "PIX"}


def test_include_keeps_the_topology_with_the_devices_only(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert "topology" in _json(capsys, "--include", "gpu")
    assert "topology" not in _json(capsys, "--include", "cpu,memory")
