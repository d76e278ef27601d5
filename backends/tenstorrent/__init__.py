"""Tenstorrent NPUs (tt-kmd sysfs/hwmon telemetry, else tt-smi snapshot JSON)."""
