"""NvLink, GSP firmware and the acoustic threshold: read through the fake NVML, exported
under all-smi's names (issue 19 item 4)."""

from __future__ import annotations

import pynvml as real  # noqa: TID251 - the real constants the fake answers with

from allsmi_py.model import NvLinkReading
from tests.backends.families import Scrape, gpu
from tests.fakes.fake_pynvml import h100, h100_mig, rtx_4080_super

SWITCH = real.NVML_NVLINK_DEVICE_TYPE_SWITCH


def test_h100_reports_its_gsp_firmware_and_eighteen_links(make_backend) -> None:
    backend, _ = make_backend([h100(0)])
    reading = backend.read()[0]
    assert reading.details["gsp_firmware_version"] == "590.48.01"
    # gsp.mode.current and .default both Enabled; all-smi's encoding says "default" (2)
    assert reading.details["gsp_firmware_mode"] == "Default"
    assert reading.nvlinks == tuple(NvLinkReading(i, True, "switch", 26562) for i in range(18))
    assert reading.problems == ()


def test_consumer_card_has_no_nvlink_and_an_acoustic_threshold(make_backend) -> None:
    backend, fake = make_backend([rtx_4080_super()])
    reading = backend.read()[0]
    assert reading.nvlinks == ()
    assert reading.temperature_acoustic_c == 84.0  # nvidia-smi's "GPU Target Temperature"
    assert reading.details["gsp_firmware_version"] == "595.71.05"
    backend.read()
    # NotSupported at link 0 is remembered: later ticks do not ask again
    assert fake.per_device("gpu0")["nvmlDeviceGetNvLinkState"] == 1
    assert reading.problems == ()


def test_a_link_that_goes_down_stays_listed_as_down(make_backend) -> None:
    gpu0 = h100(0)
    backend, _ = make_backend([gpu0])
    backend.read()
    gpu0.nvlinks = list(gpu0.nvlinks or [])
    gpu0.nvlinks[3] = (0, SWITCH)
    links = backend.read()[0].nvlinks
    assert len(links) == 18
    assert links[3] == NvLinkReading(3, False, None, None)
    assert all(link.active for i, link in enumerate(links) if i != 3)


def test_a_failing_link_is_a_problem_and_the_others_are_still_read(make_backend) -> None:
    gpu0 = h100(0)
    backend, _ = make_backend([gpu0])
    gpu0.errors["nvmlDeviceGetNvLinkState"] = real.NVML_ERROR_UNKNOWN
    reading = backend.read()[0]
    assert reading.nvlinks == ()
    assert any(p.startswith("nvmlDeviceGetNvLinkState") for p in reading.problems)
    del gpu0.errors["nvmlDeviceGetNvLinkState"]
    assert len(backend.read()[0].nvlinks) == 18  # transient: asked again next tick


def test_mig_mode_has_no_nvlink_queries(make_backend) -> None:
    backend, _ = make_backend([h100_mig()])
    assert backend.read()[0].nvlinks == ()


def test_junk_from_the_driver_is_not_passed_on(make_backend) -> None:
    gpu0 = h100(0)
    gpu0.nvlink_speed_mbps = 0xFFFFFFFF
    gpu0.nvlinks = [(1, 0xFF), (1, 7), (1, real.NVML_NVLINK_DEVICE_TYPE_GPU)]
    gpu0.gsp_version = "\x01\x02junk"
    gpu0.gsp_mode = (1, 0)
    backend, _ = make_backend([gpu0])
    reading = backend.read()[0]
    assert [(x.remote_type, x.bandwidth_mb_s) for x in reading.nvlinks] == [
        ("unknown", None), ("unknown", None), ("gpu", None)]
    assert "gsp_firmware_version" not in reading.details
    assert reading.details["gsp_firmware_mode"] == "Enabled"


def test_families_under_all_smis_names(make_backend) -> None:
    gpu0 = h100(0)
    gpu0.nvlinks = [(1, SWITCH)] * 17 + [(0, SWITCH)]
    backend, _ = make_backend([gpu0, rtx_4080_super()])
    h, rtx = backend.read()
    scrape = Scrape([h, rtx])
    g, r = gpu(h, 0), gpu(rtx, 1)
    assert scrape.value("all_smi_gpu_gsp_firmware_mode", **g) == 2
    assert scrape.one("all_smi_gpu_gsp_firmware_version_info", **g).labels["version"] == (
        "590.48.01")
    assert scrape.value("all_smi_gpu_temperature_threshold_acoustic_celsius", **r) == 84.0
    rows = scrape.rows("all_smi_nvlink_remote_device_type", **g)
    assert sorted(int(s.labels["link_index"]) for s in rows) == list(range(17))
    assert {(s.labels["remote_type"], s.labels["bandwidth_mb_s"], s.value) for s in rows} == {
        ("switch", "26562", 1.0)}
    assert scrape.rows("all_smi_nvlink_remote_device_type", **r) == []
    states = {s.labels["link_index"]: s.value for s in scrape.rows("allsmi_nvlink_active", **g)}
    assert len(states) == 18 and states["17"] == 0 and states["0"] == 1


def test_nvlink_traffic_between_two_ticks(make_backend) -> None:
    gpu0 = h100(0)
    gpu0.nvlink_kib, gpu0.field_timestamp_us = (1_000_000, 2_000_000), 5_000_000
    backend, _ = make_backend([gpu0])
    first = backend.read()[0]
    assert (first.nvlink_tx_bytes_per_s, first.nvlink_rx_bytes_per_s) == (None, None)
    # two seconds later: 4,000,000 KiB more sent, 1,000,000 KiB more received
    gpu0.nvlink_kib, gpu0.field_timestamp_us = (5_000_000, 3_000_000), 7_000_000
    second = backend.read()[0]
    assert second.nvlink_tx_bytes_per_s == 2_000_000 * 1024
    assert second.nvlink_rx_bytes_per_s == 500_000 * 1024
    scrape = Scrape([second])
    assert scrape.value("allsmi_nvlink_tx_bytes_per_second", **gpu(second, 0)) == 2_048_000_000
    # a counter that went back (driver reload) or a clock that did not move: no figure
    gpu0.nvlink_kib, gpu0.field_timestamp_us = (10, 3_000_000), 9_000_000
    assert backend.read()[0].nvlink_tx_bytes_per_s is None
    assert backend.read()[0].nvlink_tx_bytes_per_s is None  # same timestamp as before


def test_nvlink_traffic_absent_where_the_gpu_has_no_counters(make_backend) -> None:
    backend, _ = make_backend([rtx_4080_super()])
    for _ in range(2):
        reading = backend.read()[0]
    assert reading.nvlink_tx_bytes_per_s is None and reading.nvlink_rx_bytes_per_s is None
