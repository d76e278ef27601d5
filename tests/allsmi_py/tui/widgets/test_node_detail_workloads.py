"""The Node tab's process table: a CONTAINER/POD column while some process runs in a container."""

from __future__ import annotations

from rich.console import Console

from allsmi_py.model import DeviceReading, NodeSnapshot, ProcessReading, WorkloadReading
from allsmi_py.tui.widgets.node_detail import MAX_PROCESSES, processes_table

POD = WorkloadReading(runtime="containerd", container="vllm", pod="vllm-mistral-7b-5gmcq-jpgcg",
                      namespace="inference")
COMMAND = "python -m vllm.entrypoints.openai.api_server --model mistral-7b --port 8000"


def _lines(*processes: ProcessReading, width: int = 100) -> list[str]:
    snap = NodeSnapshot(hostname="gpu-1", taken_at_s=0.0, devices=(
        DeviceReading(backend="mock", index=0, uuid="GPU-0", name="H100", processes=processes),))
    console = Console(width=width, record=True, color_system=None)
    console.print(processes_table(snap))
    return console.export_text().splitlines()


def test_the_column_shows_the_pod_and_the_command_gives_way_not_the_others() -> None:
    lines = _lines(ProcessReading(pid=3945194, user="carol", command=COMMAND,
                                  gpu_memory_bytes=2**30, workload=POD),
                   ProcessReading(pid=7, user="dave", command="python bare.py"), width=80)
    assert lines[0].split() == ["PID", "USER", "DEV", "GPU", "MEM", "GPU%", "CONTAINER/POD",
                                "COMMAND"]
    assert lines[1].startswith("3945194  carol") and "inference/vllm-mistral-…" in lines[1]
    assert lines[1].rstrip().endswith("…") and len(lines[1]) <= 80  # the command is cut
    assert "  -  " in lines[2] and "python bare.py" in lines[2]


def test_no_container_no_column() -> None:
    lines = _lines(ProcessReading(pid=7, user="dave", command="python bare.py"))
    assert "CONTAINER/POD" not in lines[0] and lines[0].split()[-1] == "COMMAND"


def test_a_hostile_user_name_is_cut_and_the_overflow_row_names_the_rest() -> None:
    many = [ProcessReading(pid=i + 1, user="x" * 500, gpu_memory_bytes=i, workload=POD)
            for i in range(MAX_PROCESSES + 2)]
    lines = _lines(*many)
    assert all(len(line) <= 100 for line in lines)
    assert lines[-1].strip() == "… 2 more"


def test_brackets_in_a_nodes_names_are_text_not_markup() -> None:
    hostile = WorkloadReading(pod="[/p]", namespace="[bold]ns")
    lines = _lines(ProcessReading(pid=1, user="[red]eve", command="echo [/x] done",
                                  workload=hostile))
    assert "[red]eve" in lines[1] and "[bold]ns/[/p]" in lines[1]
    assert "echo [/x] done" in lines[1]
