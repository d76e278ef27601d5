"""HLO decoding: percentiles over each bucket layout libtpu may send, and the caps."""

from __future__ import annotations

import pytest

pytest.importorskip("google.protobuf")

from backends.tpu import hlo  # noqa: E402
from backends.tpu.runtime_metrics_pb2 import (  # noqa: E402
    Attribute,
    AttrValue,
    Distribution,
    Gauge,
    Metric,
    MetricResponse,
    TPUMetric,
)
from tests.backends.tpu.metrics_server import exponential, ordinal  # noqa: E402

Options = Distribution.BucketOptions


def test_exponential_percentiles_interpolate_within_the_bucket() -> None:
    # scale 10 µs, growth 10: [0,10) [10,100) [100,1000) [1000,10000) overflow
    dist = exponential([0, 10, 80, 10, 0], mean=300.0, low=70.0, high=5000.0,
                       scale=10.0, growth=10.0)
    assert hlo.percentile(dist, 0.5) == pytest.approx(100 + 900 * 40 / 80)
    assert hlo.percentile(dist, 0.05) == pytest.approx(70.0)  # 55 µs, but none ran under min
    assert hlo.percentile(dist, 0.02) == pytest.approx(70.0)
    assert hlo.percentile(dist, 0.999) == pytest.approx(5000.0)
    unset = exponential([0, 10, 80, 10, 0], mean=300.0, low=0.0, high=0.0,
                        scale=10.0, growth=10.0)  # no min/max sent: no clamp to 0
    assert hlo.percentile(unset, 0.05) == pytest.approx(55.0)


def test_the_overflow_bucket_ends_at_the_max_seen() -> None:
    dist = exponential([0, 0, 1, 1], mean=6.0, low=2.0, high=9.0)  # finite [0,1) [1,2) [2,4)
    assert hlo.percentile(dist, 1.0) == pytest.approx(9.0)


def test_linear_and_explicit_buckets() -> None:
    linear = Distribution(count=4, bucket_counts=[0, 2, 2], bucket_options=Options(
        linear_buckets=Options.Linear(num_finite_buckets=2, width=50.0, offset=100.0)))
    assert hlo.percentile(linear, 0.5) == pytest.approx(150.0)  # the top of [100, 150)
    explicit = Distribution(count=4, bucket_counts=[1, 1, 2], bucket_options=Options(
        explicit_buckets=Options.Explicit(bounds=[10.0, 20.0])))
    assert hlo.percentile(explicit, 0.5) == pytest.approx(20.0)


@pytest.mark.parametrize("dist", [
    Distribution(count=3, bucket_counts=[1, 2]),  # no bucket options: no guessing
    exponential([1, 2], mean=1.0, low=0.0, high=0.0, growth=1.0),  # edges that do not grow
    exponential([1, 2], mean=1.0, low=0.0, high=0.0, scale=-1.0),
    exponential([1, 2], mean=1.0, low=0.0, high=0.0, growth=float("inf")),
    exponential([0, 0], mean=0.0, low=0.0, high=0.0),  # no samples
    Distribution(count=1, bucket_counts=[0, 1, 0, 0], bucket_options=Options(  # counts past
        explicit_buckets=Options.Explicit(bounds=[1.0]))),                     # the edges
    Distribution(count=2, bucket_counts=[1, 1], bucket_options=Options(
        explicit_buckets=Options.Explicit(bounds=[5.0, 1.0]))),  # edges out of order
    Distribution(count=1, bucket_counts=[1] * (hlo.MAX_BUCKETS + 1), bucket_options=Options(
        exponential_buckets=Options.Exponential(scale=1.0, growth_factor=2.0))),
])
def test_a_layout_that_makes_no_sense_is_no_percentile(dist: Distribution) -> None:
    assert hlo.percentile(dist, 0.5) is None


def test_growth_past_the_cap_stays_capped() -> None:
    dist = exponential([0] * 3000 + [1, 0], mean=1.0, low=0.0, high=0.0, growth=999.0)
    value = hlo.percentile(dist, 0.5)
    assert value is not None and value <= hlo.MAX_MICROSECONDS


def test_a_lone_unlabelled_gauge_is_device_zero_and_bare_int_attributes_count() -> None:
    lone = MetricResponse(metric=TPUMetric(metrics=[Metric(gauge=Gauge(as_int=4))]))
    assert hlo.queue_sizes(lone) == {0: 4}
    by_int = MetricResponse(metric=TPUMetric(metrics=[
        Metric(attribute=Attribute(value=AttrValue(int_attr=1)), gauge=Gauge(as_int=2)),
        Metric(attribute=Attribute(value=AttrValue(bool_attr=True)), gauge=Gauge(as_int=3)),
        Metric(attribute=Attribute(value=AttrValue(int_attr=-4)), gauge=Gauge(as_int=3)),
        Metric(attribute=ordinal(hlo.MAX_DEVICES), gauge=Gauge(as_int=3)),
    ]))
    assert hlo.queue_sizes(by_int) == {1: 2}


def test_more_devices_than_a_host_has_is_nothing() -> None:
    many = MetricResponse(metric=TPUMetric(metrics=[
        Metric(attribute=ordinal(i % 8), gauge=Gauge(as_int=1))
        for i in range(hlo.MAX_DEVICES + 1)]))
    assert hlo.queue_sizes(many) == {}
    assert hlo.timings(many) == {}


def test_a_distribution_where_a_gauge_belongs_is_skipped_and_vice_versa() -> None:
    dist = exponential([0, 1, 0], mean=1.5, low=1.0, high=2.0)
    mixed = MetricResponse(metric=TPUMetric(metrics=[
        Metric(attribute=ordinal(0), distribution=dist),
        Metric(attribute=ordinal(1), gauge=Gauge(as_int=1))]))
    assert hlo.queue_sizes(mixed) == {1: 1}
    assert list(hlo.timings(mixed)) == [0]
