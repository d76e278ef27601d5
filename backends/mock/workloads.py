"""Simulated containers and pods: which simulated jobs run under Kubernetes, in Docker, or bare.

A job's workload is a function of (seed, node, user, command) only, so it stays the same from
tick to tick, and a user's job on several devices (torchrun's workers) shares one pod, as a
pod given several GPUs does. Worked out from the readings alone, like parents.py, so the
simulation's random sequence is the same as without workloads.

A device gets one `DeviceReading.workloads` entry per pod container holding it, with only
what the kubelet's pod-resources API says: pod, namespace and container.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace

from allsmi_py.model import DeviceReading, ProcessReading, WorkloadReading

POD_SHARE = 55  # percent of (user, command) pairs that run in a Kubernetes pod
DOCKER_SHARE = 25  # percent that run in a plain Docker container; the rest run bare
# The characters Kubernetes uses for generated name suffixes (apimachinery's rand.String).
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


@dataclass(frozen=True, slots=True)
class App:
    """How a simulated command is deployed: its app name, namespace and container name."""

    name: str
    namespace: str
    container: str


APPS: dict[str, App] = {
    "python train.py --model llama-3-70b --bs 8": App("llama-train", "ml-train", "trainer"),
    "torchrun --nproc-per-node 8 pretrain.py --config gpt-neox.yaml":
        App("gpt-neox-pretrain", "ml-train", "pytorch"),
    "python -m vllm.entrypoints.openai.api_server --model mistral-7b":
        App("vllm-mistral-7b", "inference", "vllm"),
    "python finetune_lora.py --base qwen2.5-32b": App("qwen-finetune", "ml-train", "trainer"),
    "jupyter-kernel --ip 0.0.0.0": App("jupyter", "default", "notebook"),
    "python eval_harness.py --tasks mmlu,gsm8k": App("eval-harness", "default", "eval"),
    "tritonserver --model-repository /models": App("triton-server", "inference", "triton"),
    "python diffusion_sample.py --steps 50": App("sd-sampler", "inference", "sampler"),
}
_OTHER_APP = App("batch-job", "default", "main")


def _suffix(digest: bytes, length: int) -> str:
    return "".join(_NAME_ALPHABET[b % len(_NAME_ALPHABET)] for b in digest[:length])


def _uuid(digest: bytes) -> str:
    h = digest[:16].hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class WorkloadPlan:
    """Which simulated jobs of one node run where; the same salt gives the same answers."""

    def __init__(self, salt: str) -> None:
        self.salt = salt
        self._known: dict[tuple[str | None, str | None], WorkloadReading | None] = {}

    def of(self, user: str | None, command: str | None) -> WorkloadReading | None:
        """The container (and pod) a job of `user` running `command` is in; None: bare."""
        key = (user, command)
        if key not in self._known:
            self._known[key] = self._decide(user, command)
        return self._known[key]

    def _decide(self, user: str | None, command: str | None) -> WorkloadReading | None:
        digest = hashlib.sha256(f"{self.salt}\0{user}\0{command}".encode()).digest()
        share = int.from_bytes(digest[:2], "big") % 100
        if share >= POD_SHARE + DOCKER_SHARE:
            return None
        app = APPS.get(command or "", _OTHER_APP)
        container_id = hashlib.sha256(digest).hexdigest()
        if share >= POD_SHARE:
            return WorkloadReading(runtime="docker", container_id=container_id,
                                   container=f"{app.name}-{user or 'job'}")
        pod = f"{app.name}-{_suffix(digest[2:], 5)}-{_suffix(digest[7:], 5)}"
        return WorkloadReading(runtime="containerd", container_id=container_id,
                               container=app.container, pod_uid=_uuid(digest[12:]), pod=pod,
                               namespace=app.namespace)

    def apply(self, readings: Sequence[DeviceReading]) -> list[DeviceReading]:
        """`readings` with each process's workload set, and each device's pod containers."""
        out = []
        for device in readings:
            if not device.processes:
                out.append(device)
                continue
            processes = tuple(self._placed(proc) for proc in device.processes)
            out.append(replace(device, processes=processes,
                               workloads=held_by(processes)))
        return out

    def _placed(self, proc: ProcessReading) -> ProcessReading:
        workload = self.of(proc.user, proc.command)
        return proc if workload is None else replace(proc, workload=workload)


def held_by(processes: Sequence[ProcessReading]) -> tuple[WorkloadReading, ...]:
    """The pod containers among these processes' workloads, as the kubelet reports them."""
    held = {(w.namespace, w.pod, w.container) for p in processes
            if (w := p.workload) is not None and w.pod is not None}
    return tuple(WorkloadReading(pod=pod, namespace=namespace, container=container)
                 for namespace, pod, container in sorted(held, key=str))
