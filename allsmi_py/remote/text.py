"""Strings from a remote node, made safe to show: the one cleaner for hostnames, names, labels.

A node chooses every string it sends (a label value of /metrics, a member of /snapshot), and
each may end up in a table row. A newline or carriage return would break the row, an ESC
starts a terminal control sequence (`ESC[2J` clears the screen), and a Unicode bidi override
(U+202E ...) makes text read backwards. So every such string passes `clean_text` where it
enters the model (parse.py for /metrics, checked.py for /snapshot):

- a character `str.isprintable` refuses is removed: C0 and C1 controls, DEL, format
  characters (bidi overrides and isolates, zero-width ones), surrogates, private and
  unassigned code points; one that is white space (tab, newline, CR, NEL, U+2028, no-break
  space ...) becomes a plain space, so words stay apart;
- the result is cut to MAX_TEXT characters, far above any real name or command line.
"""

from __future__ import annotations

MAX_TEXT = 1024


def is_clean(value: str) -> bool:
    """True when `value` can be shown as it is."""
    return value.isprintable() and len(value) <= MAX_TEXT


def clean_text(value: str) -> str:
    """`value` without control or format characters (white space as ' '), at most MAX_TEXT long."""
    if value.isprintable():
        return value if len(value) <= MAX_TEXT else value[:MAX_TEXT]
    kept = "".join(c if c.isprintable() else " " if c.isspace() else "" for c in value)
    return kept[:MAX_TEXT]
