"""Fake GPUs with the values of real nvidia-smi captures, for `fake_pynvml`.

Values come from the captures in shared/fixtures/vendor/nvidia/ (copied in part to
tests/fixtures/nvidia/).
"""

from __future__ import annotations

from dataclasses import replace

import pynvml as real  # noqa: TID251 - the real constants the fake NVML answers with

from tests.fakes.nvml_devices import FakeGpu, FakeMig, FakeProcess

MIB = 1024**2

def h100(index: int) -> FakeGpu:
    """An H100 80GB HBM3 SXM under load (H100 capture, driver 590.48.01)."""
    return FakeGpu(
        name="NVIDIA H100 80GB HBM3",
        uuid=f"GPU-{index:08x}-0000-0000-0000-000000000000",
        bus_id=f"00000000:{0x09 + index:02X}:00.0",
        serial="0000000000000",
        vbios="96.00.A5.00.01",
        architecture=real.NVML_DEVICE_ARCH_HOPPER,
        compute_capability=(9, 0),
        persistence=1,
        memory_total=81559 * MIB,
        memory_used=19818 * MIB,
        memory_reserved=479 * MIB,
        util=(100, 11),
        temperature=59,
        memory_temperature=55,
        thresholds={
            real.NVML_TEMPERATURE_THRESHOLD_SHUTDOWN: 92,
            real.NVML_TEMPERATURE_THRESHOLD_SLOWDOWN: 87,
            real.NVML_TEMPERATURE_THRESHOLD_GPU_MAX: 85,
        },
        power_average_mw=629450,
        power_usage_mw=588390,
        power_limit_mw=700000,
        power_default_mw=700000,
        power_constraints_mw=(200000, 700000),
        energy_mj=123_456_789,
        clocks={
            real.NVML_CLOCK_GRAPHICS: 1980,
            real.NVML_CLOCK_SM: 1980,
            real.NVML_CLOCK_MEM: 2619,
        },
        max_clocks={
            real.NVML_CLOCK_GRAPHICS: 1980,
            real.NVML_CLOCK_SM: 1980,
            real.NVML_CLOCK_MEM: 2619,
        },
        num_fans=0,
        pstate=0,
        pcie_gen=(5, 5),
        pcie_width=(16, 16),
        pcie_kbps=(3092, 6346),
        ecc_mode=(1, 1),
        throttle_mask=0,
        encoder=0,
        decoder=0,
        numa=index // 4,
        mig_mode=(0, 0),
        # H100 capture: GSP 590.48.01, gsp.mode current and default Enabled; `nvidia-smi
        # nvlink -s`: links 0-17 at 26.562 GB/s, to the NVSwitches of an HGX board
        gsp_version="590.48.01",
        gsp_mode=(1, 1),
        nvlinks=[(real.NVML_FEATURE_ENABLED, real.NVML_NVLINK_DEVICE_TYPE_SWITCH)] * 18,
        nvlink_speed_mbps=26562,
        compute=[
            FakeProcess(11327 + 100 * index, 2566 * MIB),
            FakeProcess(11328 + 100 * index, 1542 * MIB),
            FakeProcess(11345 + 100 * index, 15690 * MIB),
        ],
        process_util=[(11345 + 100 * index, 99)],
    )


def rtx_4080_super() -> FakeGpu:
    """A GeForce RTX 4080 SUPER (consumer capture, driver 595.71.05): no ECC, no MIG, fans."""
    return FakeGpu(
        name="NVIDIA GeForce RTX 4080 SUPER",
        uuid="GPU-00000000-0000-0000-0000-00000000a080",
        bus_id="00000000:01:00.0",
        vbios="95.03.44.00.B2",
        architecture=real.NVML_DEVICE_ARCH_ADA,
        compute_capability=(8, 9),
        persistence=0,
        memory_total=16376 * MIB,
        memory_used=1474 * MIB,
        memory_reserved=434 * MIB,
        util=(7, 2),
        temperature=45,
        thresholds={
            real.NVML_TEMPERATURE_THRESHOLD_SHUTDOWN: 101,
            real.NVML_TEMPERATURE_THRESHOLD_SLOWDOWN: 96,
            real.NVML_TEMPERATURE_THRESHOLD_GPU_MAX: 90,
            real.NVML_TEMPERATURE_THRESHOLD_ACOUSTIC_CURR: 84,  # "GPU Target Temperature"
        },
        power_average_mw=84030,
        power_usage_mw=86410,
        power_limit_mw=320000,
        power_default_mw=320000,
        power_constraints_mw=(150000, 400000),
        clocks={
            real.NVML_CLOCK_GRAPHICS: 2805,
            real.NVML_CLOCK_SM: 2805,
            real.NVML_CLOCK_MEM: 11251,
        },
        max_clocks={
            real.NVML_CLOCK_GRAPHICS: 3165,
            real.NVML_CLOCK_SM: 3165,
            real.NVML_CLOCK_MEM: 11501,
        },
        num_fans=2,
        fan_pct=(0, 0),
        pstate=2,
        pcie_gen=(4, 4),
        pcie_width=(16, 16),
        pcie_kbps=(174169, 1436230),
        throttle_mask=0,
        encoder=72,
        decoder=0,
        gsp_version="595.71.05",
        gsp_mode=(1, 1),
        # nvidia-smi nvlink -s: "Device does not have or support Nvlink" (nvlinks None)
        compute=[FakeProcess(2165, 25 * MIB), FakeProcess(5021, 360 * MIB)],
        graphics=[FakeProcess(2165, 25 * MIB), FakeProcess(2496, 200 * MIB)],
    )


def h100_mig() -> FakeGpu:
    """The H100 with MIG on (MIG capture): 3g.40gb, 2g.20gb and two 1g.10gb instances."""
    gpu = replace(
        h100(0),
        util=None,  # the parent reports no utilization in MIG mode
        memory_used=11125 * MIB,
        mig_mode=(1, 1),
        compute=[
            FakeProcess(21180, 2296 * MIB, 2, 0),
            FakeProcess(21181, 1272 * MIB, 2, 0),
            FakeProcess(21198, 7484 * MIB, 2, 0),
        ],
        process_util=[],
    )
    profiles = [
        ("3g.40gb", 2, 40448, 11091),
        ("2g.20gb", 3, 20096, 17),
        ("1g.10gb", 9, 9984, 9),
        ("1g.10gb", 10, 9984, 9),
    ]
    gpu.migs = [
        FakeMig(
            uuid=f"MIG-0000000{i}-0000-0000-0000-00000000000{i}",
            name=f"NVIDIA H100 80GB HBM3 MIG {profile}",
            gpu_instance_id=gi,
            compute_instance_id=0,
            memory_total=total * MIB,
            memory_used=used * MIB,
        )
        for i, (profile, gi, total, used) in enumerate(profiles)
    ]
    return gpu
