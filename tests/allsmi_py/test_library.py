"""The library API as users meet it: `import allsmi_py`, then collect, Collector, scrape, ascrape.

The user-side checks run in fresh interpreters (what `import allsmi_py` loads, the README
example, tests/fixtures/library/user_program.py against a mock cluster, mypy on that program);
the rest call the API in process.
"""

from __future__ import annotations

import ast
import asyncio
import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import pytest

import allsmi_py
from allsmi_py.backend import Backend
from allsmi_py.collector import Collector as CoreCollector
from allsmi_py.model import DeviceReading
from tests.prometheus_util import REPO, isolated_env

USER_PROGRAM = REPO / "tests" / "fixtures" / "library" / "user_program.py"
HEAVY = ("textual", "rich", "aiohttp", "httpx", "uvicorn", "prometheus_client")


def _python(code_or_file: str | Path, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    command = [str(code_or_file)] if isinstance(code_or_file, Path) else ["-c", code_or_file]
    return subprocess.run([sys.executable, *command, *args], cwd=REPO, env=isolated_env(home),
                          capture_output=True, text=True, timeout=120)


def _loaded_after(statements: str, home: Path) -> set[str]:
    code = f"import sys\n{statements}\nimport json; print(json.dumps(sorted(sys.modules)))"
    result = _python(code, home=home)
    assert result.returncode == 0, result.stderr
    return {name.split(".")[0] for name in json.loads(result.stdout.splitlines()[-1])}


@pytest.fixture(scope="module")
def mock_nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """Three mock nodes (the third refuses connections), as host:port."""
    hostfile = tmp_path_factory.mktemp("mock") / "hosts.txt"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mock_server", "--nodes", "3", "--start-port", "0", "--seed", "1",
         "--fail-down", "1", "--hostfile", str(hostfile)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert "3 nodes ready" in proc.stdout.readline()
        yield hostfile.read_text().split()
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_import_loads_no_ui_or_network_library(tmp_path: Path) -> None:
    loaded = _loaded_after("import allsmi_py", tmp_path)
    assert not loaded & set(HEAVY)
    assert not loaded & {"yaml", "psutil", "backends"}


def test_collect_loads_no_ui_or_network_library(tmp_path: Path) -> None:
    loaded = _loaded_after("import allsmi_py; allsmi_py.collect(mock='h100:1')", tmp_path)
    assert not loaded & set(HEAVY)


def test_the_public_names_are_all_and_the_stub_agrees() -> None:
    stub = ast.parse((REPO / "allsmi_py" / "__init__.pyi").read_text())
    stub_all = next(node.value for node in stub.body if isinstance(node, ast.Assign)
                    and getattr(node.targets[0], "id", "") == "__all__")
    assert ast.literal_eval(stub_all) == allsmi_py.__all__
    stub_names = {alias.asname for node in stub.body if isinstance(node, ast.ImportFrom)
                  for alias in node.names}
    assert stub_names | {"__version__"} == set(allsmi_py.__all__)
    for name in allsmi_py.__all__:
        assert getattr(allsmi_py, name) is not None
        assert name in dir(allsmi_py)
    assert allsmi_py.Collector.__module__ == "allsmi_py.library"
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        allsmi_py.nope  # noqa: B018
    assert (REPO / "allsmi_py" / "py.typed").is_file()


def test_collect_reads_mock_devices_and_the_host() -> None:
    snapshot = allsmi_py.collect(mock="h100:2,rngd:1", seed=5)
    assert [d.name for d in snapshot.devices].count("NVIDIA H100 80GB HBM3") == 2
    assert len(snapshot.devices) == 3 and snapshot.host is not None
    assert [(b.name, b.state) for b in snapshot.backends] == [("mock", "ok")]
    assert allsmi_py.collect(mock="h100:1", host=False).host is None


def test_the_collector_yields_a_snapshot_per_interval_and_stops_on_exit() -> None:
    with allsmi_py.Collector(mock="h100:1", interval_s=0.05, host=False) as node:
        taken = [snapshot.taken_at_s for snapshot in islice(node, 3)]
        assert node.latest is not None and node.latest.taken_at_s == taken[-1]
    assert taken == sorted(taken) and len(set(taken)) == 3
    assert list(node) == []  # stopped: iterating again yields nothing


def test_stop_from_another_thread_ends_the_iteration_at_once() -> None:
    node = allsmi_py.Collector(mock="h100:1", interval_s=3600.0, host=False)
    got = []
    for snapshot in node:  # without stop() the next snapshot would be an hour away
        got.append(snapshot)
        threading.Thread(target=node.stop).start()
    assert len(got) == 1


class _Counting(Backend):
    name = "counting"

    def __init__(self) -> None:
        self.reads = 0
        self.closed = 0

    def read(self) -> list[DeviceReading]:
        self.reads += 1
        return [DeviceReading(backend="counting", index=0, uuid="c-0", name="counting")]

    def close(self) -> None:
        self.closed += 1


def test_the_core_collector_closes_its_backends_on_leaving_the_block() -> None:
    backend = _Counting()
    with CoreCollector([backend], interval_s=0.05) as collector:
        first = next(iter(collector))
        assert first.devices[0].name == "counting" and backend.closed == 0
    assert backend.reads == 1 and backend.closed == 1


def test_leaving_the_block_by_an_exception_closes_too() -> None:
    backend = _Counting()
    with pytest.raises(KeyError), CoreCollector([backend], interval_s=0.05) as collector:
        collector.tick()
        raise KeyError("user code failed")
    assert backend.closed == 1


@pytest.mark.parametrize("kwargs,message", [
    ({"mock": "nosuch:1"}, "nosuch"),
    ({"mock": 8}, "mock: expected a spec"),
    ({"backends": ["nosuch"]}, "unknown backend 'nosuch'"),
    ({"backends": [3]}, "backends: expected backend names"),
    ({"mock": "h100:1", "interval_s": 0}, "local.interval_s: expected a number between 0.05"),
    ({"mock": "h100:1", "interval_s": float("inf")}, "local.interval_s"),
    ({"mock": "h100:1", "deadline_s": float("nan")}, "deadline_s: expected a number more than 0"),
    ({"mock": "h100:1", "seed": -1}, "mock.seed: expected an integer"),
])
def test_bad_local_arguments_are_value_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        allsmi_py.Collector(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("hosts,kwargs,message", [
    ([], {}, "no valid host"),
    (["node-a:99999"], {}, "bad port"),
    (["127.0.0.1:1", "node-a:99999"], {}, "bad port"),
    ([7], {}, "hosts: expected host names"),
    (["127.0.0.1:1"], {"timeout_s": 0}, "view.timeout_s: expected a number more than 0"),
    (["127.0.0.1:1"], {"concurrency": 0}, "view.concurrency"),
    (["127.0.0.1:1"], {"deadline_s": -1.0}, "deadline_s"),
])
def test_bad_cluster_arguments_are_value_errors(hosts: list[object], kwargs: dict[str, object],
                                                message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        allsmi_py.scrape(hosts, **kwargs)  # type: ignore[arg-type]


async def test_scrape_inside_a_running_loop_points_to_ascrape() -> None:
    with pytest.raises(RuntimeError, match=r"await allsmi_py\.ascrape"):
        allsmi_py.scrape(["127.0.0.1:1"])


def test_scrape_reads_a_mock_cluster(mock_nodes: list[str]) -> None:
    cluster = allsmi_py.scrape(mock_nodes, timeout_s=5.0)
    states = {node.status.address: node.status.state for node in cluster.nodes}
    assert sorted(states.values()) == ["ok", "ok", "unreachable"]
    live = [node for node in cluster.nodes if node.snapshot is not None]
    assert sorted(node.snapshot.hostname for node in live  # type: ignore[union-attr]
                  ) == ["node-0001", "node-0002"]
    one = allsmi_py.scrape(",".join(mock_nodes[:2]), timeout_s=5.0)  # one string, as --hosts
    assert [node.status.state for node in one.nodes] == ["ok", "ok"]


def test_scrape_reads_a_hostfile_and_refuses_a_bad_line_in_it(mock_nodes: list[str],
                                                              tmp_path: Path) -> None:
    hostfile = tmp_path / "hosts.txt"
    hostfile.write_text("# the cluster\n" + "\n".join(mock_nodes[:2]) + "\n")
    cluster = allsmi_py.scrape(hostfile=str(hostfile))
    assert [node.status.state for node in cluster.nodes] == ["ok", "ok"]
    hostfile.write_text(mock_nodes[0] + "\nnode-x:99999\n")
    with pytest.raises(ValueError, match="line 2: 'node-x:99999': bad port"):
        allsmi_py.scrape(hostfile=str(hostfile))


def test_ascrape_runs_on_the_callers_loop(mock_nodes: list[str]) -> None:
    async def two_rounds() -> list[int]:
        rounds = await asyncio.gather(allsmi_py.ascrape(mock_nodes[:1]),
                                      allsmi_py.ascrape(mock_nodes[1:2]))
        return [len(cluster.nodes) for cluster in rounds]

    assert asyncio.run(two_rounds()) == [1, 1]


def test_a_user_program_runs_against_the_mock_cluster(mock_nodes: list[str],
                                                      tmp_path: Path) -> None:
    result = _python(USER_PROGRAM, *mock_nodes, home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "collect 2 NVIDIA H100 80GB HBM3", "collector 3 True", "scrape ok ok unreachable",
        "ascrape node-0001 node-0002"]
    assert result.stderr == ""


@pytest.mark.slow
def test_the_user_program_type_checks_strictly_without_any(tmp_path: Path) -> None:
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\n")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(config), "--strict",
         "--disallow-any-expr", "--follow-imports=silent", "--cache-dir", str(tmp_path / "cache"),
         str(USER_PROGRAM)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_readme_example_runs(mock_nodes: list[str], tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    found = re.search(r"^## Library\n+```python\n(.*?)^```", readme, re.S | re.M)
    assert found is not None, "README.md has no ## Library section opening with a python block"
    example = found.group(1)
    assert len(example.splitlines()) == 5 and '"localhost:9090"' in example
    result = _python(example.replace('"localhost:9090"', f'"{mock_nodes[0]}"'), home=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "NVIDIA H100 80GB HBM3"
    assert len(lines) == 5 and all(0 <= float(x) <= 100 for x in lines[1:4])
    assert lines[4] == "ok"
