"""Tests that need real hardware; they skip elsewhere."""
