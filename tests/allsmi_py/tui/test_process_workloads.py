"""Containers and pods in the local view: the CONTAINER/POD column, the filter, the device card."""

from __future__ import annotations

from textual.pilot import Pilot

from allsmi_py.model import ProcessReading, WorkloadReading
from allsmi_py.tui.app import AllSmiApp
from allsmi_py.tui.messages import SnapshotUpdated
from allsmi_py.tui.widgets.device_details import MAX_PODS_SHOWN, detail_lines
from allsmi_py.tui.widgets.devices import DeviceGrid
from allsmi_py.tui.widgets.processes import ProcessRow, ProcessTable, matches_query
from tests.allsmi_py.tui.factories import GIB, device, mock_snapshots, snapshot

POD = WorkloadReading(runtime="containerd", container_id="c0ffee" * 10 + "abcd",
                      container="trainer", pod_uid="1b2c", pod="llama-finetune-7c9f8-x2kq1",
                      namespace="ml-train")
DOCKER = WorkloadReading(runtime="docker", container_id="0123456789ab" + "f" * 52,
                         container="jupyter")
NAMELESS = WorkloadReading(runtime="cri-o", container_id="fedcba987654" + "0" * 52)
PROCESSES = (
    ProcessReading(pid=11, user="alice", command="python finetune.py", gpu_memory_bytes=4 * GIB,
                   workload=POD),
    ProcessReading(pid=12, user="bob", command="jupyter-kernel", gpu_memory_bytes=3 * GIB,
                   workload=DOCKER),
    ProcessReading(pid=13, user="carol", command="python eval.py", gpu_memory_bytes=2 * GIB,
                   workload=NAMELESS),
    ProcessReading(pid=14, user="dave", command="python bare.py", gpu_memory_bytes=GIB),
)


def _pids(query: str) -> list[int]:
    return [p.pid for p in PROCESSES if matches_query(ProcessRow(p, "0", None), query)]


def test_the_filter_matches_container_pod_and_namespace() -> None:
    assert _pids("ML-TRAIN") == [11]  # the namespace, ignoring case
    assert _pids("x2kq1") == [11]  # the pod
    assert _pids("trainer") == [11]  # the pod's container
    assert _pids("jupyter") == [12]  # the Docker container's name and the command
    assert _pids("fedcba98") == [13]  # a container known by its id only
    assert _pids("bare") == [14]  # the command, as before
    assert _pids("nowhere") == []


async def _send(pilot: Pilot[None], snap: object) -> None:
    pilot.app.post_message(SnapshotUpdated(snap))  # type: ignore[arg-type]
    await pilot.pause()
    await pilot.pause()


def _column(table: ProcessTable, title: str) -> int | None:
    """The text column where `title` starts in the header, None when it is not shown."""
    header = table.render_line(0).text
    return header.index(title) if title in header else None


async def test_the_column_shows_the_label_and_is_there_only_with_containers() -> None:
    app = AllSmiApp()
    async with app.run_test(size=(140, 40)) as pilot:
        await _send(pilot, snapshot(device(0, processes=PROCESSES[3:])))
        table = app.screen.query_one(ProcessTable)
        assert _column(table, "CONTAINER/POD") is None  # bare metal: no empty column
        await _send(pilot, snapshot(device(0, processes=PROCESSES)))
        start = _column(table, "CONTAINER/POD")
        assert start is not None
        lines = {row.process.pid: table.render_line(y + 1).text
                 for y, row in enumerate(table.visible_rows())}
        assert lines[11][start:].startswith("ml-train/llama-finetune… ")  # cut to its width
        assert lines[12][start:].startswith("jupyter ")
        assert lines[13][start:].startswith("fedcba987654 ")  # the short id
        assert lines[14][start:].startswith("- ")
        assert lines[14].rstrip().endswith("python bare.py")  # the command still after it
        await _send(pilot, snapshot(device(0, processes=PROCESSES[3:])))
        assert _column(table, "CONTAINER/POD") is None  # gone again with the last container


async def test_a_click_on_its_header_sorts_by_it_and_it_drops_out_when_compact() -> None:
    app = AllSmiApp()
    async with app.run_test(size=(140, 40)) as pilot:
        await _send(pilot, snapshot(device(0, processes=PROCESSES)))
        table = app.screen.query_one(ProcessTable)
        start = _column(table, "CONTAINER/POD")
        assert start is not None
        await pilot.click(ProcessTable, offset=(start + 2, 1))  # inside the border
        await pilot.pause()
        assert table.sort_key == "workload"
        assert [r.process.pid for r in table.shown] == [13, 12, 11, 14]  # unknown last
        await pilot.resize_terminal(90, 40)
        await pilot.pause()
        assert table.compact and _column(table, "CONTAINER/POD") is None
        assert _column(table, "COMMAND") is not None


async def test_the_mock_shows_containers_and_pods_in_the_table() -> None:
    app = AllSmiApp()
    async with app.run_test(size=(160, 50)) as pilot:
        await _send(pilot, mock_snapshots("h100:8", count=1, seed=1)[0])
        table = app.screen.query_one(ProcessTable)
        assert _column(table, "CONTAINER/POD") is not None
        labels = {r.process.workload.label for r in table.shown if r.process.workload}
        assert any("/" in label for label in labels if label)  # namespace/pod


def _text(line: tuple[tuple[str, str], ...]) -> str:
    return "".join(text for text, _ in line)


def test_the_device_card_lists_the_pods_holding_the_device() -> None:
    held = (WorkloadReading(pod="llama-finetune-7c9f8-x2kq1", namespace="ml-train",
                            container="trainer"),
            WorkloadReading(pod="vllm-0", namespace="inference"))
    texts = [_text(line) for line in detail_lines(device(0, workloads=held))]
    assert texts == ["Pod ml-train/llama-finetune-7c9f8-x2kq1  container trainer",
                     "Pod inference/vllm-0"]


def test_a_device_shared_by_many_pods_says_how_many_more() -> None:
    held = tuple(WorkloadReading(pod=f"p{i}", namespace="n") for i in range(MAX_PODS_SHOWN + 3))
    texts = [_text(line) for line in detail_lines(device(0, workloads=held))]
    assert len(texts) == MAX_PODS_SHOWN + 1
    assert texts[-1] == "  and 3 more pod containers"


async def test_enter_on_a_card_shows_its_pods() -> None:
    held = (WorkloadReading(pod="llama-finetune-7c9f8-x2kq1", namespace="ml-train",
                            container="trainer"),)
    app = AllSmiApp()
    async with app.run_test(size=(120, 50)) as pilot:
        await _send(pilot, snapshot(device(0, workloads=held, processes=PROCESSES[:1])))
        card = app.screen.query_one("#devices", DeviceGrid).cards[0]
        card.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert card.expanded and "Pod ml-train/llama-finetune-7c9f8-x2kq1" in card.plain
