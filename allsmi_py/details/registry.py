"""Every vendor's detail declaration, for the exporter, the docs and the tests."""

from __future__ import annotations

from allsmi_py.details import VendorDetails
from allsmi_py.details.amd import AMD
from allsmi_py.details.apple import APPLE
from allsmi_py.details.furiosa import FURIOSA
from allsmi_py.details.gaudi import GAUDI
from allsmi_py.details.intel import INTEL
from allsmi_py.details.jetson import JETSON
from allsmi_py.details.nvidia import NVIDIA
from allsmi_py.details.rebellions import REBELLIONS
from allsmi_py.details.tenstorrent import TENSTORRENT
from allsmi_py.details.tpu import TPU

VENDORS: tuple[VendorDetails, ...] = (
    AMD, APPLE, FURIOSA, GAUDI, INTEL, JETSON, NVIDIA, REBELLIONS, TENSTORRENT, TPU,
)
