"""The CPU's base clock (all-smi's all_smi_cpu_frequency_mhz) apart from its current clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from allsmi_py.exporter.render import render_prometheus
from allsmi_py.host import base_frequency_mhz
from allsmi_py.model import CpuReading, HostReading, NodeSnapshot
from allsmi_py.remote.parse import parse_node_text
from mock_server.host import APPLE, SERVER, HostSimulator

CPU0 = "sys/devices/system/cpu/cpu0"


def _write(root: Path, relative: str, text: str) -> None:
    path = root / CPU0 / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_intel_pstate_base_frequency_comes_first(tmp_path: Path) -> None:
    _write(tmp_path, "cpufreq/base_frequency", "2100000\n")  # kHz
    _write(tmp_path, "acpi_cppc/nominal_freq", "2000\n")
    assert base_frequency_mhz("Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz", tmp_path) == 2100.0


def test_acpi_cppc_nominal_frequency(tmp_path: Path) -> None:
    _write(tmp_path, "acpi_cppc/nominal_freq", "2750\n")  # MHz
    assert base_frequency_mhz("AMD EPYC 9454 48-Core Processor", tmp_path) == 2750.0


def test_the_brand_strings_clock_in_a_vm_without_sysfs(tmp_path: Path) -> None:
    assert base_frequency_mhz("Intel(R) Xeon(R) CPU @ 2.20GHz", tmp_path) == 2200.0
    assert base_frequency_mhz("Intel(R) Core(TM) i7-8700 CPU @ 3.20 GHz", tmp_path) == 3200.0


@pytest.mark.parametrize("model", ["AMD EPYC", "ARMv8 Processor rev 1 (v8l)", None, ""])
def test_no_base_clock_stated_is_none(tmp_path: Path, model: str | None) -> None:
    assert base_frequency_mhz(model, tmp_path) is None


@pytest.mark.parametrize("text", ["0\n", "4294967295\n", "garbage\n", "-1\n", "x" * 10_000])
def test_implausible_or_garbage_sysfs_values_are_skipped(tmp_path: Path, text: str) -> None:
    _write(tmp_path, "cpufreq/base_frequency", text)
    _write(tmp_path, "acpi_cppc/nominal_freq", text)
    assert base_frequency_mhz("Intel(R) Xeon(R) CPU @ 2.20GHz", tmp_path) == 2200.0
    assert base_frequency_mhz("AMD EPYC", tmp_path) is None


def _host(cpu: CpuReading) -> NodeSnapshot:
    return NodeSnapshot("n", 1.0, host=HostReading(cpu=cpu))


def test_all_smis_name_carries_the_base_clock_and_ours_the_current_one() -> None:
    text = render_prometheus(_host(CpuReading(model="m", frequency_mhz=3612.5,
                                              frequency_base_mhz=2750.0)))
    lines = {line.split("{")[0]: line.rsplit(" ", 1)[1] for line in text.splitlines()
             if line.startswith(("all_smi_cpu_frequency_mhz{",
                                 "allsmi_cpu_frequency_current_mhz{"))}
    assert lines == {"all_smi_cpu_frequency_mhz": "2750",
                     "allsmi_cpu_frequency_current_mhz": "3612.5"}
    back = parse_node_text(text).host
    assert back is not None
    assert back.cpu.frequency_base_mhz == 2750.0 and back.cpu.frequency_mhz == 3612.5


def test_without_a_base_clock_all_smis_family_is_left_out() -> None:
    text = render_prometheus(_host(CpuReading(model="m", frequency_mhz=3612.5)))
    assert "all_smi_cpu_frequency_mhz{" not in text
    assert "allsmi_cpu_frequency_current_mhz{" in text


def test_an_all_smi_nodes_frequency_is_read_as_the_base_clock() -> None:
    body = ('all_smi_cpu_utilization{cpu_model="Xeon",instance="a",hostname="a",index="0"} 5\n'
            'all_smi_cpu_frequency_mhz{cpu_model="Xeon",instance="a",hostname="a",index="0"} '
            '2400\n')
    host = parse_node_text(body).host
    assert host is not None
    assert host.cpu.frequency_base_mhz == 2400.0 and host.cpu.frequency_mhz is None


def test_the_mock_servers_hosts_state_a_base_clock_where_the_real_ones_do() -> None:
    server = HostSimulator(SERVER, "seed", 0.0).reading().cpu
    assert server.frequency_base_mhz == 2750.0  # EPYC 9454: 2.75 GHz base, 3.8 GHz boost
    assert server.frequency_mhz is not None
    assert HostSimulator(APPLE, "seed", 0.0).reading().cpu.frequency_base_mhz is None
