"""Widgets that draw parts of a snapshot; they hold no backend handles and no timers."""
