"""Cost: each NVML call at most once per device per tick; static values once per process."""

from __future__ import annotations

from tests.fakes.fake_pynvml import h100, h100_mig

# Calls that take a selector argument are made once per selector value.
PER_SELECTOR = {
    "nvmlDeviceGetClockInfo": 3,  # graphics, SM, memory
    "nvmlDeviceGetPcieThroughput": 2,  # TX, RX
    "nvmlDeviceGetTotalEccErrors": 4,  # corrected/uncorrected x volatile/aggregate
    "nvmlDeviceGetTemperatureThreshold": 4,  # shutdown, slowdown, GPU max, acoustic
    "nvmlDeviceGetMaxClockInfo": 3,
    "nvmlDeviceGetNvLinkState": 18,  # links 0-17 of an H100 SXM (link 18: past the end, once)
    "nvmlDeviceGetNvLinkRemoteDeviceType": 18,
}
STATIC = (
    "nvmlDeviceGetName",
    "nvmlDeviceGetUUID",
    "nvmlDeviceGetPciInfo_v3",
    "nvmlDeviceGetSerial",
    "nvmlDeviceGetVbiosVersion",
    "nvmlDeviceGetArchitecture",
    "nvmlDeviceGetCudaComputeCapability",
    "nvmlDeviceGetPersistenceMode",
    "nvmlDeviceGetComputeMode",
    "nvmlDeviceGetTemperatureThreshold",
    "nvmlDeviceGetPowerManagementDefaultLimit",
    "nvmlDeviceGetPowerManagementLimitConstraints",
    "nvmlDeviceGetMaxClockInfo",
    "nvmlDeviceGetMaxPcieLinkGeneration",
    "nvmlDeviceGetMaxPcieLinkWidth",
    "nvmlDeviceGetEccMode",
    "nvmlDeviceGetNumaNodeId",
    "nvmlDeviceGetNumFans",
    "nvmlDeviceGetGspFirmwareVersion",
    "nvmlDeviceGetGspFirmwareMode",
    "nvmlDeviceGetNvLinkRemoteDeviceType",
)


def test_a_tick_on_eight_gpus_asks_each_call_once_per_device(make_backend) -> None:
    backend, fake = make_backend([h100(i) for i in range(8)])
    backend.read()  # the first tick may learn what is unsupported
    fake.calls.clear()
    backend.read()
    for index in range(8):
        counts = fake.per_device(f"gpu{index}")
        assert counts, f"gpu{index} was not read"
        for fn, n in counts.items():
            assert n == PER_SELECTOR.get(fn, 1), (index, fn, n)
        assert not set(STATIC) & set(counts)
    system = fake.per_device("system")
    assert sum(system.values()) == 0  # driver and CUDA versions are not read per tick


def test_static_values_are_read_once_per_process(make_backend) -> None:
    backend, fake = make_backend([h100(i) for i in range(8)])
    for _ in range(3):
        backend.read()
        backend.status_message()
    for index in range(8):
        counts = fake.per_device(f"gpu{index}")
        for fn in STATIC:
            assert counts[fn] == PER_SELECTOR.get(fn, 1), (index, fn)
    assert fake.calls[("nvmlSystemGetDriverVersion", "system")] == 1
    assert fake.calls[("nvmlSystemGetCudaDriverVersion_v2", "system")] == 1


def test_mig_instances_cost_one_call_each_per_tick(make_backend) -> None:
    backend, fake = make_backend([h100_mig()])
    backend.read()
    fake.calls.clear()
    backend.read()
    assert fake.per_device("gpu0")["nvmlDeviceGetMigDeviceHandleByIndex"] == 7  # one per slot
    assert fake.per_device("gpu0")["nvmlDeviceGetMaxMigDeviceCount"] == 0
    for slot in range(4):
        counts = fake.per_device(f"gpu0/mig{slot}")
        assert counts and all(n == 1 for n in counts.values()), (slot, counts)
