"""Energy since allsmi first ran on this node: the integrator, its state file, the meter.

`integrator` is pure (power samples and hardware counters in, joules out), `store` keeps the
totals across restarts in one small JSON file, and `meter` adds the totals to each snapshot
the collector produces, so the exporter and the TUI read them like any other field.
"""
