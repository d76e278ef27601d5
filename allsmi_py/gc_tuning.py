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
    """

    def __init__(self, sweep_every: int = 30) -> None:
        self.sweep_every = sweep_every
        self.rounds = 0

    def after_round(self) -> None:
        """Call in the derive thread once a round is derived."""
        if self.rounds % self.sweep_every == 0:
            gc.unfreeze()
            gc.collect()
        self.rounds += 1
        gc.freeze()
