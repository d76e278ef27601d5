"""Families of our own for what all-smi does not export: device and backend states, and ages.

all-smi writes nothing for a device that fell off the bus or a collection that stopped, so
its dashboards cannot tell "idle" from "gone" (issue 19 item 2). These names start with
`allsmi_`, never all-smi's `all_smi_`, so they cannot collide with a family it adds later.
States are info-style (value 1, the state a label), as all-smi's own `*_info` families are:
a device that changes state ends one series and starts another, which Prometheus marks
stale at once, so `allsmi_device_state{state="lost"} == 1` is true exactly while it is.
"""

from __future__ import annotations

from allsmi_py.exporter.schema.spec import MetricSpec, info

STATE: tuple[MetricSpec, ...] = (
    info("allsmi_device_state", "1 for the device's state: ok, or lost (it stopped answering)",
         "device", ("state",), lambda d: (("state", d.state),)),
    info("allsmi_backend_state", "1 for the backend's state: ok, unavailable, error or lost",
         "backend", ("state",), lambda b: (("state", b.state),)),
    MetricSpec("allsmi_last_collection_timestamp_seconds",
               "Unix time of the latest collection this exporter serves", "gauge", "node",
               lambda n: n.taken_at_s),
    MetricSpec("allsmi_backend_last_success_timestamp_seconds",
               "Unix time of the backend's latest read that did not fail", "gauge", "backend",
               lambda b: b.last_ok_at_s),
)
