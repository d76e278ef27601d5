"""The tree's ancestors of a GPU process, from the host list: each once, bounded, and a
broken chain (a cycle, a missing parent, a parent already listed) ends where it breaks."""

from __future__ import annotations

from allsmi_py.model import ProcessReading
from allsmi_py.tui.host_processes import MAX_ANCESTOR_DEPTH, HostProcessList, ancestors


def _host(*pairs: tuple[int, int | None]) -> HostProcessList:
    return HostProcessList(tuple(ProcessReading(pid=pid, ppid=ppid, command=f"p{pid}",
                                                process_type="host") for pid, ppid in pairs))


def test_each_chain_runs_up_to_the_root_and_a_shared_parent_comes_once() -> None:
    listed = _host((1, 0), (50, 1), (60, 50), (77, 1))
    above = ancestors(listed, parents=[60, 60, 50], known=[100, 101, 102])
    assert [p.pid for p in above] == [60, 50, 1]  # nearest first, each once; 77 is no one's


def test_a_chain_ends_at_a_listed_process_or_a_parent_the_host_list_lacks() -> None:
    listed = _host((1, 0), (50, 1), (60, 50))
    assert [p.pid for p in ancestors(listed, [60], known=[50])] == [60]
    assert ancestors(listed, [999, None], known=[]) == []


def test_a_cycle_of_ppids_or_a_self_parent_ends_without_repeating() -> None:
    listed = _host((5, 6), (6, 5), (7, 7))
    assert sorted(p.pid for p in ancestors(listed, [5, 7], known=[])) == [5, 6, 7]


def test_an_endless_looking_chain_is_cut_at_the_depth_limit() -> None:
    listed = _host(*((pid, pid + 1) for pid in range(10 * MAX_ANCESTOR_DEPTH)))
    assert len(ancestors(listed, [0], known=[])) == MAX_ANCESTOR_DEPTH
