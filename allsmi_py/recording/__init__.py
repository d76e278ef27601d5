"""Recordings: an append-only file of snapshots (`allsmi record`), read back by `allsmi replay`.

format.py draws the bytes (keyframes and delta frames); flatten.py cuts a frame into units
and leaves, delta.py writes and applies a delta frame; writer.py appends; reader.py indexes and
decodes with caps;
player.py is the replay's playhead (pause, step, speed, seek); timespec.py reads the times
and durations the commands take.
"""
