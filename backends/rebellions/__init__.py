"""Rebellions ATOM NPUs through rbln-smi (or the older rbln-stat) JSON."""
