"""NVIDIA GPUs over NVML."""
