"""allsmi-py: one monitor for every GPU and NPU, local, exported, and across a cluster.

As a library (README "Library")::

    import allsmi_py
    snapshot = allsmi_py.collect(mock="h100:8")         # this node, once
    with allsmi_py.Collector(interval_s=1.0) as node:    # this node, every second
        for snapshot in node: ...
    cluster = allsmi_py.scrape(["node1", "node2:9090"])  # one round over a cluster

The names below load on first use, so `import allsmi_py` (and every `allsmi` command) pays
only for the version; `__init__.pyi` gives their types.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("allsmi-py")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

# public name -> the module that defines it
_LAZY = {
    "collect": "allsmi_py.library",
    "Collector": "allsmi_py.library",
    "scrape": "allsmi_py.remote.scrape",
    "ascrape": "allsmi_py.remote.scrape",
    "NodeSnapshot": "allsmi_py.model",
    "DeviceReading": "allsmi_py.model",
    "ClusterSnapshot": "allsmi_py.model",
    "ClusterNode": "allsmi_py.model",
    "NodeStatus": "allsmi_py.model",
}
__all__ = ["ClusterNode", "ClusterSnapshot", "Collector", "DeviceReading", "NodeSnapshot",
           "NodeStatus", "__version__", "ascrape", "collect", "scrape"]


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'allsmi_py' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
