"""The mock profiles write only the detail keys their real vendor's backend declares."""

from __future__ import annotations

import pytest

from allsmi_py.details.registry import VENDORS
from backends.mock.backend import MockBackend
from backends.mock.profiles import PROFILES


@pytest.mark.parametrize("key", sorted(PROFILES))
def test_profile_details_are_declared_by_its_vendor(key: str) -> None:
    [device] = MockBackend(spec=f"{key}:1", seed=1).read()
    vendors = [v for v in VENDORS if v.matches(device)]
    assert len(vendors) == 1, (key, [v.family for v in vendors])
    undeclared = [k for k in device.details if not vendors[0].declares(k)]
    assert not undeclared, f"{key} writes keys {vendors[0].family} does not declare: {undeclared}"
