"""What the router works out from one label block alone, kept across rounds (text path only).

The tokenizer hands back one mapping object per distinct block text (exposition's block
cache), for every family of a device and in every round of a node. What parse.py derives
from a block alone (the device it names, a new device's identity fields, a gpu_info
block's details, a pod block's workload) is a pure function of that mapping, so it is kept
here by the mapping's identity and worked out once per block instead of once per sample
and round. Each entry holds the mapping itself, so its id cannot pass to another object
while the entry lives; a store is emptied when full, like the block cache.

Only for mappings the block cache shares (parse_node_text): the Prometheus source builds a
fresh mapping per sample, which would only fill the stores.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Generic, TypeVar

T = TypeVar("T")
MAX_ENTRIES = 200_000  # as many as the block cache holds


class FactStore(Generic[T]):
    """One fact per label mapping, by identity; `make(labels)` computes a missing one."""

    __slots__ = ("_facts", "_make", "max_entries")

    def __init__(self, make: Callable[[Mapping[str, str]], T],
                 max_entries: int = MAX_ENTRIES) -> None:
        self._make = make
        self._facts: dict[int, tuple[Mapping[str, str], T]] = {}
        self.max_entries = max_entries

    def __call__(self, labels: Mapping[str, str]) -> T:
        """The fact of `labels`: kept, or made now and kept."""
        held = self._facts.get(id(labels))
        if held is not None and held[0] is labels:
            return held[1]
        fact = self._make(labels)
        if len(self._facts) >= self.max_entries:
            self._facts.clear()
        self._facts[id(labels)] = (labels, fact)
        return fact

    def __len__(self) -> int:
        return len(self._facts)
