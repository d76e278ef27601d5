"""Block facts: kept by the mapping's identity, never handed to another mapping, bounded."""

from __future__ import annotations

from collections.abc import Mapping

from allsmi_py.remote.block_facts import FactStore


def test_a_fact_is_made_once_per_mapping_and_not_shared_by_equal_ones() -> None:
    made: list[Mapping[str, str]] = []

    def make(labels: Mapping[str, str]) -> str:
        made.append(labels)
        return labels["a"] + str(len(made))

    store = FactStore(make)
    first, twin = {"a": "x"}, {"a": "x"}
    assert store(first) == "x1" and store(first) == "x1"
    assert store(twin) == "x2"  # equal content, another object: its own fact
    assert made == [first, twin] and made[0] is first


def test_a_dead_mappings_id_does_not_reach_its_fact() -> None:
    store = FactStore(lambda labels: dict(labels))
    ids = set()
    for i in range(200):
        labels = {"i": str(i)}
        ids.add(id(labels))
        assert store(labels) == {"i": str(i)}  # held mappings stay alive: ids never reused
    assert len(ids) == 200


def test_the_store_is_emptied_when_full() -> None:
    store = FactStore(lambda labels: len(labels), max_entries=10)
    kept = [{"n": str(i)} for i in range(35)]
    for labels in kept:
        store(labels)
        assert len(store) <= 10
