"""The open-file limit: each node holds a listening socket plus one per client connection."""

from __future__ import annotations

import resource

from allsmi_py.errors import UsageError

SPARE_FDS = 64  # stdio, the event loop's self-pipe, the admin port, the hostfile, imports


def files_needed(nodes: int) -> int:
    """Open files to serve `nodes` nodes, each with a listener and one keep-alive client."""
    return 2 * nodes + SPARE_FDS


def raise_open_file_limit(nodes: int) -> int:
    """Raise the soft RLIMIT_NOFILE for `nodes`; UsageError saying what to do when too low."""
    needed = files_needed(nodes)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 4 * nodes + SPARE_FDS  # room for scrapers that open a few connections per node
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):
            pass
    if soft != resource.RLIM_INFINITY and soft < needed:
        raise UsageError(
            f"{nodes} nodes need about {needed} open files but the limit is {soft} "
            f"(hard limit {hard}): run fewer --nodes, or raise the hard limit "
            f"(`ulimit -Hn {2 * needed}` as root, LimitNOFILE= in systemd, "
            f"`docker run --ulimit nofile={2 * needed}`)"
        )
    return int(soft)
