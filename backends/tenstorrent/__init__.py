"""Tenstorrent NPUs (tt-smi snapshot JSON)."""
