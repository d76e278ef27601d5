"""allsmi-py: one monitor for every GPU and NPU, local, exported, and across a cluster."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("allsmi-py")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
