"""Tests of the NVIDIA backend, against a fake pynvml."""
