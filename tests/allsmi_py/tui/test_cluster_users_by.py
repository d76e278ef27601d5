"""The cluster view's Users tab grouped by user, Kubernetes namespace or pod (`w`)."""

from __future__ import annotations

from allsmi_py.model import (
    ClusterNode,
    ClusterSnapshot,
    DeviceReading,
    NodeSnapshot,
    NodeStatus,
    ProcessReading,
    WorkloadReading,
)
from allsmi_py.tui.cluster_app import ClusterApp
from allsmi_py.tui.cluster_rows import NO_POD, user_usage
from allsmi_py.tui.screens.cluster import ClusterScreen
from allsmi_py.tui.screens.help import CLUSTER_KEYS
from allsmi_py.tui.widgets.device_table import UsersTable
from tests.allsmi_py.tui.cluster_factories import cluster_rounds
from tests.allsmi_py.tui.factories import GIB, HOST, T0

TRAIN = WorkloadReading(runtime="containerd", container="trainer", pod="llama-train-bbbbb-ccccc",
                        namespace="ml-train")
SERVE = WorkloadReading(runtime="containerd", container="vllm", pod="vllm-ddddd-fffff",
                        namespace="inference")
TRAIN_2 = WorkloadReading(runtime="containerd", container="trainer", pod="qwen-ft-ggggg-hhhhh",
                          namespace="ml-train")
JUPYTER = WorkloadReading(runtime="docker", container="jupyter")


def _process(pid: int, user: str, gib: int, workload: WorkloadReading | None) -> ProcessReading:
    return ProcessReading(pid=pid, user=user, command=f"job {pid}", gpu_memory_bytes=gib * GIB,
                          workload=workload)


def _node(i: int, *devices: tuple[ProcessReading, ...]) -> ClusterNode:
    snap = NodeSnapshot(hostname=f"gpu-{i}", taken_at_s=T0, host=HOST, devices=tuple(
        DeviceReading(backend="mock", index=d, uuid=f"GPU-{i}-{d}", name="H100",
                      processes=procs) for d, procs in enumerate(devices)))
    return ClusterNode(NodeStatus(f"10.0.0.{i}:9090", "ok", last_ok_at_s=T0), snap)


CLUSTER = ClusterSnapshot(taken_at_s=T0, nodes=(
    _node(1, (_process(1, "alice", 10, TRAIN),), (_process(2, "alice", 10, TRAIN),),
          (_process(3, "bob", 5, SERVE), _process(4, "carol", 1, JUPYTER))),
    _node(2, (_process(5, "bob", 4, TRAIN_2),), (_process(6, "dave", 2, None),)),
))


def _totals(by: str) -> dict[str, tuple[int, int, int]]:
    users, reporting, live = user_usage(CLUSTER, by)  # type: ignore[arg-type]
    assert (reporting, live) == (2, 2)
    return {u.user: (u.processes, len(u.gpus), u.gpu_memory_bytes // GIB) for u in users}


def test_usage_by_user_namespace_and_pod() -> None:
    assert _totals("user") == {"alice": (2, 2, 20), "bob": (2, 2, 9), "carol": (1, 1, 1),
                               "dave": (1, 1, 2)}
    assert _totals("namespace") == {"ml-train": (3, 3, 24), "inference": (1, 1, 5),
                                    NO_POD: (2, 2, 3)}  # the Docker container and the bare job
    assert _totals("pod") == {"ml-train/llama-train-bbbbb-ccccc": (2, 2, 20),
                              "inference/vllm-ddddd-fffff": (1, 1, 5),
                              "ml-train/qwen-ft-ggggg-hhhhh": (1, 1, 4), NO_POD: (2, 2, 3)}


def _users(app: ClusterApp) -> UsersTable:
    return app.screen.query_one("#users-table", UsersTable)


async def test_w_cycles_the_grouping_and_says_so_in_the_title_and_the_header() -> None:
    app = ClusterApp()
    async with app.run_test(size=(140, 40)) as pilot:
        await app.ingest(CLUSTER)
        await pilot.press("V")
        await pilot.pause()
        table = _users(app)
        assert [u.user for u in table.rows][:2] == ["alice", "bob"]
        assert str(table.border_title).startswith("Users: 4 ")
        assert "w: by namespace" in str(table.border_title)
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, ClusterScreen) and app.screen.users_by == "namespace"
        assert [u.user for u in table.rows] == ["ml-train", "inference", NO_POD]
        assert str(table.border_title).startswith("Namespaces: 3 ")
        assert table.render_line(0).text.startswith("NAMESPACE ")
        await pilot.press("w")
        await pilot.pause()
        assert table.rows[0].user == "ml-train/llama-train-bbbbb-ccccc"
        assert str(table.border_title).startswith("Pods: 4 ")
        assert "w: by user" in str(table.border_title)
        header = table.render_line(0).text
        assert header.startswith("NAMESPACE/POD ") and table.render_line(1).text.startswith(
            "ml-train/llama-train-bbbbb-ccccc ")  # the pod column is wide enough for it
        await app.ingest(CLUSTER)  # a new round keeps the grouping
        await pilot.pause()
        assert table.rows[0].user == "ml-train/llama-train-bbbbb-ccccc"
        await pilot.press("w")
        await pilot.pause()
        assert table.rows[0].user == "alice" and table.render_line(0).text.startswith("USER ")


async def test_w_from_another_tab_opens_the_users_tab_on_mock_nodes() -> None:
    app = ClusterApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.ingest(next(iter(cluster_rounds(4, "h100:8", rounds=1))))
        await pilot.press("w")
        await pilot.pause()
        assert app.screen.query_one("#tabs").active == "tab-users"  # type: ignore[attr-defined]
        namespaces = {u.user for u in _users(app).rows}
        assert namespaces & {"ml-train", "inference", "default"}  # the mock's pods


def test_help_names_the_key() -> None:
    assert any(key == "w" and "namespace" in text for key, text in CLUSTER_KEYS)
