"""Backend discovery through the `allsmi_py.backends` entry-point group.

Built-in backends are entry points too, so a third party adds one by installing a package.
Listing names imports nothing; loading one imports only that backend's module.
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

from allsmi_py.backend import Availability, Backend
from allsmi_py.errors import UsageError
from allsmi_py.model import BackendStatus

ENTRY_POINT_GROUP = "allsmi_py.backends"

# The mock backend is selected with --mock, never by discovery.
NOT_AUTO_DISCOVERED = frozenset({"mock"})


@dataclass(frozen=True, slots=True)
class LoadedBackend:
    """The result of loading one entry point: a class, or the status saying why not."""

    name: str
    backend_class: type[Backend] | None
    status: BackendStatus | None  # set when the backend cannot be used


def _entry_points() -> dict[str, EntryPoint]:
    # Scanning every installed distribution costs ~10 ms; one scan per sys.path is enough.
    return _scan_entry_points(tuple(sys.path))


@functools.lru_cache(maxsize=4)
def _scan_entry_points(_sys_path: tuple[str, ...]) -> dict[str, EntryPoint]:
    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(ep.name, ep)
    return found


def backend_names(include_mock: bool = False) -> list[str]:
    """Names of all installed backends, sorted, without importing any of them."""
    names = sorted(_entry_points())
    if include_mock:
        return names
    return [n for n in names if n not in NOT_AUTO_DISCOVERED]


def load_backend_class(name: str) -> LoadedBackend:
    """Import one backend; a failing import becomes an `unavailable` status naming the fix."""
    ep = _entry_points().get(name)
    if ep is None:
        valid = ", ".join(backend_names(include_mock=True)) or "none installed"
        raise UsageError(f"unknown backend {name!r}; valid backends: {valid}")
    try:
        loaded = ep.load()
    except ImportError as exc:
        missing = getattr(exc, "name", None) or str(exc)
        hint = f"cannot import {missing}: install the package that provides it ({ep.value})"
        return LoadedBackend(name, None, BackendStatus(name, "unavailable", hint))
    except Exception as exc:  # a broken third-party plugin must not take the tool down
        message = f"plugin {ep.value} failed to load: {type(exc).__name__}: {exc}"
        return LoadedBackend(name, None, BackendStatus(name, "unavailable", message))
    if not (isinstance(loaded, type) and issubclass(loaded, Backend)):
        message = f"plugin {ep.value} is not an allsmi_py.backend.Backend subclass"
        return LoadedBackend(name, None, BackendStatus(name, "unavailable", message))
    return LoadedBackend(name, loaded, None)


def check_availability(backend_class: type[Backend]) -> Availability:
    """Call the class's cheap check, turning an exception into a 'no' with the reason."""
    try:
        return backend_class.available()
    except Exception as exc:
        return Availability.no(f"availability check failed: {type(exc).__name__}: {exc}")


def validate_backend_names(names: list[str]) -> None:
    """Raise UsageError for any name that is not an installed backend."""
    known = set(backend_names(include_mock=True))
    unknown = [n for n in names if n not in known]
    if unknown:
        valid = ", ".join(sorted(known)) or "none installed"
        raise UsageError(f"unknown backend {unknown[0]!r}; valid backends: {valid}")
