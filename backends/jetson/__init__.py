"""NVIDIA Jetson (Tegra) SoCs: sysfs, with tegrastats as fallback."""
