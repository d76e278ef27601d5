# The types of the names allsmi_py/__init__.py loads on first use (its _LAZY table).
# A stub, not imports in __init__.py: those would make every `import allsmi_py.<engine>`
# depend on the remote engine and aiohttp as far as the layering contracts can tell.
from allsmi_py.library import Collector as Collector
from allsmi_py.library import collect as collect
from allsmi_py.model import ClusterNode as ClusterNode
from allsmi_py.model import ClusterSnapshot as ClusterSnapshot
from allsmi_py.model import DeviceReading as DeviceReading
from allsmi_py.model import NodeSnapshot as NodeSnapshot
from allsmi_py.model import NodeStatus as NodeStatus
from allsmi_py.remote.scrape import ascrape as ascrape
from allsmi_py.remote.scrape import scrape as scrape

__version__: str
__all__ = ["ClusterNode", "ClusterSnapshot", "Collector", "DeviceReading", "NodeSnapshot",
           "NodeStatus", "__version__", "ascrape", "collect", "scrape"]
