"""The plausibility guard: what a number a backend reads may be before anyone is shown it.

Drivers answer "not available" in ways that look like numbers: NVML's 0xFFFFFFFF, a PCI read
of a hung card's all-ones word, -1, NaN. The collector passes every reading of every backend,
and the host's, through `guard` (the remote engine does the same with what nodes send:
`guard_snapshot`); a value that is not something its field can mean becomes None (an empty
tuple for a sequence) and the reading's `problems` say which and why, e.g.
"power_w: 4294967295 is a sentinel", at most MAX_PROBLEMS lines per reading.

One rule per unit, chosen by the field's name (DESIGN.md: every numeric field names its
unit), so a new field is covered the day it is added; a field the suffixes miss needs an
entry in rules.py's `_EXPLICIT` (tests/allsmi_py/test_plausible.py fails until it has one):

    unit / field            accepted
    _pct                    0 to 100 (a process's cpu_pct: 100 per logical CPU; fan_pct 200,
                            as NVML's may pass 100)
    _c                      -40 to 200 C
    _w                      0 to 2000 W; power_w up to max(2000, 1.5 x the largest limit)
    _mhz                    0 to 50000 MHz; a clock up to 1.2 x its max clock when known
    _rpm                    0 to 50000
    _bytes                  0 to 2**60 (disks); a device's 2**44, the host's RAM and swap 2**50;
                            used/free/reserved up to their total when known
    _bytes_per_s            0 to 2**40 (1 TB/s; PCIe 7 x16 is a quarter of that)
    _j                      0 to 1e15 J (NVML's 2**64-1 mJ, 1.8e16 J, is refused)
    _s                      0 to 1e10 s (durations and Unix times; milliseconds are refused)
    bool                    True or False, nothing else
    index, *_index, pid     not checked: they name the reading, they are not measured
    counts, ids, P-states   see rules.py

Everywhere: 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, 2**63-1, 2**64-1 and -1 are sentinels, so are
NaN and the infinities; a bool is not a number and a float is not a whole number. -0.0 is
read as 0.0. Limits and totals are checked first, so a value is only ever capped by a
plausible one.
"""

from allsmi_py.plausible.guard import MAX_PROBLEMS, guard, guard_changed, guard_snapshot
from allsmi_py.plausible.rules import (
    MODELS,
    RULES,
    SENTINELS,
    UNRULED,
    Rule,
    numeric_fields,
    rules_for,
    shown,
)

__all__ = ["MAX_PROBLEMS", "MODELS", "RULES", "SENTINELS", "UNRULED", "Rule", "guard",
           "guard_changed", "guard_snapshot", "numeric_fields", "rules_for", "shown"]
