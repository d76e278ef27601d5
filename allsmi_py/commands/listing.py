"""`allsmi --list-mock` and `allsmi --list-backends`."""

from __future__ import annotations

from allsmi_py.plugins import backend_names, check_availability, load_backend_class


def list_mock() -> int:
    """Print the simulated platform profiles usable with --mock."""
    loaded = load_backend_class("mock")
    if loaded.backend_class is None:
        print(f"mock backend unavailable: {loaded.status.message if loaded.status else ''}")
        return 1
    print("Simulated profiles for --mock SPEC (SPEC = name[:count][,name[:count]...]):")
    for name, description in loaded.backend_class.describe_profiles():  # type: ignore[attr-defined]
        print(f"  {name:<12} {description}")
    return 0


def list_backends() -> int:
    """Print every installed backend, whether it can run here, and what it needs."""
    rows = []
    for name in backend_names(include_mock=True):
        loaded = load_backend_class(name)
        if loaded.backend_class is None:
            assert loaded.status is not None
            rows.append((name, "unavailable", loaded.status.message, ""))
            continue
        cls = loaded.backend_class
        if name == "mock":
            rows.append((name, "ready", "select with --mock SPEC", cls.requirements))
            continue
        availability = check_availability(cls)
        state = "available" if availability else "unavailable"
        rows.append((name, state, availability.reason, cls.requirements))
    width = max(len(r[0]) for r in rows) if rows else 8
    for name, state, reason, needs in rows:
        print(f"{name:<{width}}  {state:<11}  {reason}")
        if needs:
            print(f"{'':<{width}}  {'needs:':<11}  {needs}")
    return 0
