"""Garbage-collector tuning for commands that read a whole cluster every round."""

from __future__ import annotations

import gc


class RoundGc:
    """Keeps each round's objects out of the cyclic GC's way (process-wide: only for
    commands that poll a cluster, `allsmi view` and cluster snapshots).

    At 1024x8 a round is ~50k GC-tracked objects (readings, rows) that live two rounds and
    are freed by reference counting, never by the collector. Left alone they reach the
    oldest generation every round, and a full collection over them and the start-up heap
    (Textual, the modules: ~100k objects) took 60-110 ms every two or three rounds, in
    whichever thread allocated, often the UI's. So after each round is derived everything
    alive is frozen (an O(1) list splice): frozen objects are still freed by reference
    counting, and the collector only walks what is newer. Cycles that die while frozen
    would stay, so every `sweep_every` rounds the heap is unfrozen and collected once,
    in the derive thread.

    The automatic collector is off, too: even with the heap frozen, the UI thread's own
    allocations (Textual's segments and strips, ~36k tracked objects a frame) set off ~50
    young collections and ~4 of the middle generation per redraw in the UI thread, 10-17 ms
    of it at 1024x8, and collecting the young generations once a round instead cost the
    derive thread 30-45 ms (they hold the new round). Reference counting frees everything
    that is not a cycle either way; cycles wait for the sweep, so at most `sweep_every`
    rounds of them are held (bench_tui_cluster prints the RSS over 70 rounds: flat).
    """

    def __init__(self, sweep_every: int = 30) -> None:
        self.sweep_every = sweep_every
        self.rounds = 0
        gc.disable()

    def after_round(self) -> None:
        """Call in the derive thread once a round is derived."""
        if self.rounds % self.sweep_every == 0:
            gc.unfreeze()
            gc.collect()
        self.rounds += 1
        gc.freeze()
