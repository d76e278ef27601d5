"""Intel Gaudi (Habana) accelerators through a long-running hl-smi CSV stream."""
