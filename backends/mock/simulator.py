"""A seeded simulation of one accelerator under a changing workload.

Utilization follows workload phases (idle, ramp, steady, bursty). Power follows utilization
with a lag of seconds and temperature follows power with a lag of tens of seconds, both
inside the profile's limits. How much power a busy board draws depends on the job: each job
has a power intensity (inference and notebooks well under the cap, dense training at it),
so only some busy boards reach their power limit, as on real clusters (issue 15).
Simulated jobs start with a ramp, allocate memory while they run and free it when they end.
Everything comes from one `random.Random`, so the same seed and the same sequence of time
steps give the same readings (the power intensities come from a second generator of the
same seed, so the workload's own sequence is as it was).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from typing import Any

from allsmi_py.model import DeviceReading, ProcessReading
from backends.mock.profiles import Profile

USERS = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi")
COMMANDS = (
    "python train.py --model llama-3-70b --bs 8",
    "torchrun --nproc-per-node 8 pretrain.py --config gpt-neox.yaml",
    "python -m vllm.entrypoints.openai.api_server --model mistral-7b",
    "python finetune_lora.py --base qwen2.5-32b",
    "jupyter-kernel --ip 0.0.0.0",
    "python eval_harness.py --tasks mmlu,gsm8k",
    "tritonserver --model-repository /models",
    "python diffusion_sample.py --steps 50",
)
PHASES = ("idle", "ramp", "steady", "bursty")
POWER_TAU_S = 4.0
TEMPERATURE_TAU_S = 25.0
RESERVED_MEMORY_FRACTION = 0.006  # driver/firmware reservation visible as used memory
MAX_STEP_S = 600.0  # longer gaps are skipped ahead (see advance)
# Share of the board's idle-to-limit power range a job draws at 100 % utilization. A
# memory-bound or bursty job (serving, notebooks, evaluation, sampling) keeps the SMs busy
# at well under the board's power; dense training would draw more than the limit allows.
INFERENCE_INTENSITY = (0.55, 0.85)
TRAINING_INTENSITY = (0.85, 1.1)  # above 1: held at the cap by the board
TRAINING_WORDS = ("train", "pretrain", "finetune")


@dataclass
class _Job:
    pid: int
    user: str
    command: str
    memory_target_bytes: int
    memory_bytes: float
    started_at_s: float
    cpu_pct: float
    power_intensity: float  # see INFERENCE_INTENSITY


class DeviceSimulator:
    """The evolving state of one simulated device."""

    def __init__(self, profile: Profile, index: int, seed: str, start_time_s: float) -> None:
        self.profile = profile
        self.index = index
        self.rng = random.Random(seed)
        self.power_rng = random.Random(f"{seed}:power")
        self.uuid = profile.uuid_prefix + _uuid_from(self.rng)
        warm_up_s = self.rng.uniform(30.0, 120.0)
        self.sim_time_s = start_time_s - warm_up_s
        self.phase = "idle"
        self.phase_left_s = 0.0
        self.utilization = 0.0
        self.target_utilization = 0.0
        self.power_w = profile.power_idle_w
        self.temperature_c = profile.temperature_idle_c
        self.energy_j = self.rng.uniform(1e6, 5e7)  # counters start wherever the board left them
        self.jobs: list[_Job] = []
        self._enter_phase(self.rng.choice(PHASES))
        self.advance(warm_up_s)  # so that a first reading looks lived in

    def _enter_phase(self, phase: str) -> None:
        rng = self.rng
        self.phase = phase
        if phase == "idle":
            self.phase_left_s = rng.uniform(10.0, 60.0)
            self.target_utilization = rng.uniform(0.0, 2.0)
            self.jobs.clear()
        elif phase == "ramp":
            self.phase_left_s = rng.uniform(5.0, 15.0)
            self.target_utilization = rng.uniform(70.0, 100.0)
            if len(self.jobs) < 3:
                self._start_job()
        elif phase == "steady":
            self.phase_left_s = rng.uniform(30.0, 180.0)
            self.target_utilization = rng.uniform(80.0, 100.0)
            if not self.jobs:
                self._start_job()
        else:  # bursty
            self.phase_left_s = rng.uniform(20.0, 90.0)
            self.target_utilization = rng.uniform(30.0, 95.0)
            if not self.jobs:
                self._start_job()

    def _start_job(self) -> None:
        rng = self.rng
        free = 0.9 - sum(j.memory_target_bytes for j in self.jobs) / self.profile.memory_total_bytes
        if free <= 0.05:
            return
        fraction = rng.uniform(0.05, min(0.85, free))
        pid, user, command = (rng.randrange(1000, 4_000_000), rng.choice(USERS),
                              rng.choice(COMMANDS))
        self.jobs.append(_Job(
            pid=pid,
            user=user,
            command=command,
            memory_target_bytes=int(fraction * self.profile.memory_total_bytes),
            memory_bytes=0.0,
            started_at_s=self.sim_time_s,
            cpu_pct=round(rng.uniform(20.0, 400.0), 1),
            power_intensity=self.power_rng.uniform(*_intensity_range(command)),
        ))

    def job_pids(self) -> set[int]:
        """The pids of the simulated jobs running now."""
        return {job.pid for job in list(self.jobs)}

    def end_jobs(self, pids: set[int]) -> None:
        """End the jobs with these pids at once (a signal from the UI); their memory is freed."""
        self.jobs = [job for job in self.jobs if job.pid not in pids]

    def _next_phase(self) -> str:
        order = {"idle": ("ramp", "ramp", "bursty"), "ramp": ("steady", "steady", "bursty"),
                 "steady": ("steady", "bursty", "idle", "idle"), "bursty": ("steady", "idle")}
        return self.rng.choice(order[self.phase])

    def advance(self, dt_s: float) -> None:
        """Move the simulation forward by dt_s seconds of simulated time."""
        if dt_s <= 0:
            return
        if dt_s > MAX_STEP_S:
            # Walking every workload phase of a long gap costs time for nothing: the state
            # forgets its past within minutes. Skip ahead at the current power, then simulate
            # the last MAX_STEP_S so the reading still reflects a recent workload.
            skipped = dt_s - MAX_STEP_S
            self.energy_j += self.power_w * skipped
            self.sim_time_s += skipped
            self.phase_left_s = min(self.phase_left_s, 0.0)
            dt_s = MAX_STEP_S
        rng, p = self.rng, self.profile
        self.sim_time_s += dt_s
        self.phase_left_s -= dt_s
        while self.phase_left_s <= 0:
            carry = self.phase_left_s
            self._enter_phase(self._next_phase())
            self.phase_left_s += carry
        target = self.target_utilization
        if self.phase == "bursty":
            target = target if rng.random() < 0.55 else rng.uniform(0.0, 20.0)
        alpha = 1.0 - math.exp(-dt_s / (3.0 if self.phase == "ramp" else 1.0))
        noise = rng.gauss(0.0, 3.0) if target > 5 else rng.uniform(0.0, 0.5)
        self.utilization = _clamp(self.utilization + alpha * (target - self.utilization) + noise,
                                  0.0, 100.0)
        load = self.utilization / 100.0
        # The most power-hungry job sets the board's draw; with none, nothing runs anyway.
        intensity = max((j.power_intensity for j in self.jobs), default=1.0)
        power_target = p.power_idle_w + (p.power_limit_w - p.power_idle_w) * intensity * (
            load**0.85)
        self.power_w += (1.0 - math.exp(-dt_s / POWER_TAU_S)) * (power_target - self.power_w)
        self.power_w = _clamp(self.power_w + rng.gauss(0.0, 0.01 * p.power_limit_w),
                              p.power_idle_w * 0.9, p.power_limit_w)
        self.energy_j += self.power_w * dt_s
        heat = (self.power_w - p.power_idle_w) / (p.power_limit_w - p.power_idle_w)
        temp_target = p.temperature_idle_c + (p.temperature_load_c - p.temperature_idle_c) * heat
        self.temperature_c += (1.0 - math.exp(-dt_s / TEMPERATURE_TAU_S)) * (
            temp_target - self.temperature_c)
        ceiling = (p.temperature_slowdown_c or p.temperature_load_c + 10.0) - 1.0
        self.temperature_c = _clamp(self.temperature_c, p.temperature_idle_c - 2.0, ceiling)
        fill = 1.0 - math.exp(-dt_s / 8.0)
        for job in self.jobs:
            job.memory_bytes += fill * (job.memory_target_bytes - job.memory_bytes)

    def reading(self, backend_name: str) -> DeviceReading:
        """The device as a reading now."""
        p = self.profile
        util = round(self.utilization, 1)
        busy = util > 5.0
        reserved = int(RESERVED_MEMORY_FRACTION * p.memory_total_bytes)
        processes = tuple(
            ProcessReading(
                pid=j.pid, name=j.command.split()[0], user=j.user, command=j.command,
                process_type="compute" if p.kind != "npu" else "npu",
                gpu_memory_bytes=int(j.memory_bytes),
                gpu_utilization_pct=round(util / max(1, len(self.jobs)), 1),
                cpu_pct=j.cpu_pct, host_memory_bytes=int(j.memory_bytes * 0.05) + 2 * 1024**3,
                started_at_s=j.started_at_s,
            ) for j in self.jobs)
        used = reserved + sum(pr.gpu_memory_bytes or 0 for pr in processes)
        clock = (p.clock_graphics_idle_mhz if not busy else
                 p.clock_graphics_max_mhz * (0.75 + 0.25 * min(1.0, util / 80.0)))
        at_limit = self.power_w >= 0.95 * p.power_limit_w
        throttle = ("gpu_idle",) if not busy else (("sw_power_cap",) if at_limit else ())
        temp_span = (p.temperature_load_c - p.temperature_idle_c) or 1.0
        fan_pct = (_clamp(30.0 + 70.0 * (self.temperature_c - p.temperature_idle_c) / temp_span,
                          30.0, 100.0) if p.has_fan else None)
        is_nvidia_gpu = p.vendor == "NVIDIA" and p.kind == "gpu"
        reading = DeviceReading(
            backend=backend_name, index=self.index, uuid=self.uuid, name=p.name, kind=p.kind,
            vendor=p.vendor,
            utilization_pct=util,
            memory_utilization_pct=round(util * 0.45, 1) if p.kind == "gpu" else None,
            memory_used_bytes=min(used, p.memory_total_bytes),
            memory_total_bytes=p.memory_total_bytes,
            temperature_c=round(self.temperature_c, 1),
            memory_temperature_c=round(self.temperature_c + 4.0, 1) if p.ecc else None,
            temperature_slowdown_c=p.temperature_slowdown_c,
            temperature_shutdown_c=p.temperature_shutdown_c,
            temperature_max_operating_c=p.temperature_max_operating_c,
            power_w=round(self.power_w, 2),
            power_limit_w=p.power_limit_w,
            power_limit_default_w=p.power_limit_w,
            power_limit_max_w=p.power_limit_max_w,
            energy_j=round(self.energy_j, 3),
            clock_graphics_mhz=round(clock),
            clock_sm_mhz=round(clock) if is_nvidia_gpu else None,
            clock_memory_mhz=p.clock_memory_mhz,
            clock_graphics_max_mhz=p.clock_graphics_max_mhz,
            clock_sm_max_mhz=p.clock_graphics_max_mhz if is_nvidia_gpu else None,
            clock_memory_max_mhz=p.clock_memory_mhz,
            fan_pct=round(fan_pct, 1) if fan_pct is not None else None,
            fan_rpm=round(p.fan_rpm_max * fan_pct / 100.0) if fan_pct and p.fan_rpm_max else None,
            performance_state=(0 if busy else 8) if p.kind == "gpu" else None,
            pcie_gen_current=p.pcie_gen if busy else (1 if p.pcie_gen else None),
            pcie_gen_max=p.pcie_gen,
            pcie_width_current=p.pcie_width,
            pcie_width_max=p.pcie_width,
            pcie_tx_bytes_per_s=round(util * 2.0e8) if p.pcie_gen else None,
            pcie_rx_bytes_per_s=round(util * 3.5e8) if p.pcie_gen else None,
            ecc_enabled=p.ecc if p.kind == "gpu" else None,
            ecc_errors_corrected_volatile=0 if p.ecc else None,
            ecc_errors_uncorrected_volatile=0 if p.ecc else None,
            throttle_reasons=throttle if is_nvidia_gpu else None,
            encoder_utilization_pct=0.0 if is_nvidia_gpu else None,
            decoder_utilization_pct=0.0 if is_nvidia_gpu else None,
            numa_node=self.index // 4 if p.kind != "soc" else None,
            ane_utilization_pct=round(util * 0.3, 1) if p.has_ane else None,
            ane_power_w=round(0.02 + 0.06 * util / 10.0, 3) if p.has_ane else None,
            dla_utilization_pct=round(util * 0.2, 1) if p.has_dla else None,
            thermal_pressure=("Nominal" if self.temperature_c < 90 else "Fair")
            if p.has_ane else None,
            details={**p.details, "pci_bus_id": f"00000000:{0x18 + 0x10 * self.index:02X}:00.0"}
            if p.pcie_gen else dict(p.details),
            processes=processes,
        )
        return reading if p.sensors else replace(reading, **_NO_SENSORS)


# What a profile without sensors (a TPU) leaves out of its readings
_SENSOR_FIELDS = (
    "temperature_c", "memory_temperature_c", "temperature_slowdown_c", "temperature_shutdown_c",
    "temperature_max_operating_c", "power_w", "power_limit_w", "power_limit_default_w",
    "power_limit_max_w", "energy_j", "clock_graphics_mhz", "clock_sm_mhz", "clock_memory_mhz",
    "clock_graphics_max_mhz", "clock_sm_max_mhz", "clock_memory_max_mhz", "fan_pct", "fan_rpm",
)
_NO_SENSORS: dict[str, Any] = dict.fromkeys(_SENSOR_FIELDS)


def _intensity_range(command: str) -> tuple[float, float]:
    """The power intensity range of a job by its command (see INFERENCE_INTENSITY)."""
    training = any(word in command for word in TRAINING_WORDS)
    return TRAINING_INTENSITY if training else INFERENCE_INTENSITY


def _clamp(value: float, low: float, high: float) -> float:
    return low if value < low else high if value > high else value


def _uuid_from(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
