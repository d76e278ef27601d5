"""One round over a cluster for Python programs: `allsmi_py.scrape()` and `allsmi_py.ascrape()`.

The same round as `allsmi snapshot --hosts`: one ClusterPoller, every node read within the
round deadline, one ClusterSnapshot out. A node that is down, slow or serves garbage is a
NodeStatus in the result, never an exception; bad arguments (no valid host, a number out of
range) raise ValueError. `scrape` runs its own event loop; code already inside one awaits
`ascrape`.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Sequence

from allsmi_py.errors import UsageError
from allsmi_py.model import ClusterSnapshot
from allsmi_py.remote.dump import run_sync
from allsmi_py.remote.poller import ClusterPoller
from allsmi_py.settings import NUMBERS, SCHEMA, NumberSetting, Range

TIMEOUT_S: float = SCHEMA["view"]["timeout_s"].default
CONCURRENCY: int = SCHEMA["view"]["concurrency"].default
MAX_BODY_BYTES: int = SCHEMA["view"]["max_body_bytes"].default
DEADLINE = NumberSetting("deadline_s", float, Range(0, 3600.0, min_exclusive=True,
                                                    unit="seconds"))


async def ascrape(hosts: str | Sequence[str] = (), *, hostfile: str | None = None,
                  timeout_s: float = TIMEOUT_S, deadline_s: float | None = None,
                  concurrency: int = CONCURRENCY, max_body_bytes: int = MAX_BODY_BYTES,
                  auth_token: str | None = None,
                  ssl_context: ssl.SSLContext | None = None) -> ClusterSnapshot:
    """One round over `hosts` (host, host:port or URL) and `hostfile`; seconds and bytes.

    `deadline_s` ends the round (default: `timeout_s`); nodes not answered by then are
    `timeout`. `auth_token` is sent as a bearer token (default: $ALLSMI_AUTH_TOKEN).
    """
    given = [hosts] if isinstance(hosts, str) else list(hosts)
    if not all(isinstance(host, str) for host in given):
        raise ValueError(f"hosts: expected host names or URLs, got {given!r:.40}")
    timeout_s = NUMBERS["view.timeout_s"].check(timeout_s)
    deadline_s = DEADLINE.check(deadline_s) if deadline_s is not None else None
    try:
        poller = ClusterPoller(given, hostfile, timeout_s=timeout_s,
                               concurrency=NUMBERS["view.concurrency"].check(concurrency),
                               max_body_bytes=NUMBERS["view.max_body_bytes"].check(max_body_bytes),
                               auth_token=auth_token, round_deadline_s=deadline_s,
                               ssl_context=ssl_context)
    except UsageError as exc:
        raise ValueError(str(exc)) from None
    async with poller:
        if poller.problems:  # a program's host list has no typo to skip over quietly
            raise ValueError(poller.problems[0])
        return await poller.poll_once()


def scrape(hosts: str | Sequence[str] = (), *, hostfile: str | None = None,
           timeout_s: float = TIMEOUT_S, deadline_s: float | None = None,
           concurrency: int = CONCURRENCY, max_body_bytes: int = MAX_BODY_BYTES,
           auth_token: str | None = None,
           ssl_context: ssl.SSLContext | None = None) -> ClusterSnapshot:
    """ascrape() from synchronous code (RuntimeError inside a running event loop)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise RuntimeError("allsmi_py.scrape() blocks and cannot run inside an event loop; "
                           "use `await allsmi_py.ascrape(...)` there")
    return run_sync(ascrape(hosts, hostfile=hostfile, timeout_s=timeout_s,
                            deadline_s=deadline_s, concurrency=concurrency,
                            max_body_bytes=max_body_bytes, auth_token=auth_token,
                            ssl_context=ssl_context))
