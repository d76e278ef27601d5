"""`allsmi doctor`: check what each backend needs, under a root folder, and say how to fix it.

Backends declare their needs as data (`allsmi_py.needs`, `Backend.needs`); `diagnose`
runs one check per need through a `Probe` (root folder, user, PATH, platform: all
injectable), `render` prints the lines or the JSON.
"""
