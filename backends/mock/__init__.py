"""Simulated accelerators with realistic platform profiles (`--mock SPEC`)."""
