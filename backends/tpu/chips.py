"""What a TPU chip generation is made of, which no tool on a TPU VM reports.

TensorCores per chip and HBM type from Google's Cloud TPU system architecture pages; the
same table as all-smi's `TpuGeneration` (src/device/readers/google_tpu.rs), whose
all_smi_tpu_tensorcore_count and all_smi_tpu_memory_type_info come from it.
"""

from __future__ import annotations

# chip version as tpu.CHIP_VERSION holds it -> (TensorCores per chip, HBM type)
GENERATIONS: dict[str, tuple[int, str]] = {
    "v2": (2, "HBM2"),
    "v3": (2, "HBM2"),
    "v4": (2, "HBM2"),
    "v5e": (1, "HBM2"),
    "v5lite": (1, "HBM2"),  # v5e's name in libtpu and TPU_ACCELERATOR_TYPE (v5litepod-8)
    "v5p": (2, "HBM2e"),
    "v6e": (1, "HBM2e"),
    "v7": (2, "HBM3e"),
}


def generation(chip_version: str) -> tuple[int, str] | None:
    """(TensorCores per chip, HBM type) of a chip version such as 'v4'; None if unknown."""
    return GENERATIONS.get(chip_version.strip().lower())
