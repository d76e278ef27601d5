"""The scrape engine: one aiohttp session, every outcome a NodeStatus, never an exception.

aiohttp rather than httpx because one round of 1024 loopback nodes cost 0.17 CPU-s with
aiohttp's C-accelerated client against 3.5-6.6 s for one shared httpx.AsyncClient (issue 9,
remeasured in tests/benchmarks/bench_remote_scrape.py).
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import time
from dataclasses import dataclass

import aiohttp
import yarl

from allsmi_py.model import ClusterNode, NodeSnapshot, NodeStatus
from allsmi_py.remote.body import CHUNK_BYTES, BadEncoding, BodyTooLarge, read_capped
from allsmi_py.remote.exposition import ParseError
from allsmi_py.remote.hosts import Target
from allsmi_py.remote.nodes import NotOurs, snapshot_from_json, snapshot_from_next_text
from allsmi_py.remote.text_delta import TextTemplate

DEFAULT_MAX_BODY_BYTES = 10_000_000
_RETRY_BACKOFF_S = (0.05, 0.1, 0.2)
MAX_REDIRECTS = 3
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
ROUND_DEADLINE_PASSED = "round deadline passed"
# A local exporter serves one scraper or two; its connections are cheap to keep.
UNIX_CONNECTIONS_PER_SOCKET = 4


class _Outcome(Exception):
    """A finished attempt that is not a success; carries the status fields."""

    def __init__(self, state: str, error: str, http_status: int | None = None) -> None:
        super().__init__(error)
        self.state = state
        self.error = error
        self.http_status = http_status


class _Fallback(Exception):
    """The JSON path is not served (or not ours): use /metrics."""


@dataclass(slots=True)
class _NodeMemory:
    """What we keep about one node between rounds."""

    source: str | None = None  # "json" or "text" once one worked
    snapshot: NodeSnapshot | None = None
    last_ok_at_s: float | None = None
    last_state: str | None = None
    body: bytes = b""  # the body `snapshot` was decoded from
    template: TextTemplate | None = None  # what each line of a text `body` filled


class ScrapeClient:
    """Fetches nodes over one keep-alive ClientSession; `fetch` never raises."""

    def __init__(self, *, timeout_s: float = 5.0, concurrency: int = 256,
                 max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
                 auth_token: str | None = None, prefer_json: bool = True,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        """Limits: per-request timeout in seconds, connections in flight, body size in bytes."""
        self.timeout_s = timeout_s
        # None: aiohttp's default verification against the system trust store.
        self._ssl: ssl.SSLContext | bool = ssl_context if ssl_context is not None else True
        self.concurrency = max(1, concurrency)
        self.max_body_bytes = max_body_bytes
        self.prefer_json = prefer_json
        self._headers = {"Accept-Encoding": "gzip, deflate", "User-Agent": "allsmi-py"}
        if auth_token:
            self._headers["Authorization"] = f"Bearer {auth_token}"
        self._session: aiohttp.ClientSession | None = None
        # A UnixConnector connects to one path: one session per unix:// node, closed when
        # the node leaves the host list (so their number follows the list).
        self._unix_sessions: dict[str, aiohttp.ClientSession] = {}
        self._retired: list[aiohttp.ClientSession] = []
        self._session_timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        self._memory: dict[str, _NodeMemory] = {}

    def _new_session(self, connector: aiohttp.BaseConnector) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(
            connector=connector, headers=self._headers,
            timeout=self._session_timeout,
            raise_for_status=False, trust_env=False,
            # read_capped inflates under the cap; aiohttp's own decoding has none
            auto_decompress=False)

    def _get_session(self, target: Target) -> aiohttp.ClientSession:
        if target.unix_socket is not None:
            return self._unix_session(target.unix_socket)
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self.concurrency,
                # No per-host cap: nodes behind one reverse proxy share a host:port, and the
                # poller's semaphore already bounds requests in flight.
                limit_per_host=0,
                keepalive_timeout=60.0,
                ttl_dns_cache=300,
                force_close=False,
                ssl=self._ssl,
            )
            self._session = self._new_session(connector)
        return self._session

    def _unix_session(self, path: str) -> aiohttp.ClientSession:
        session = self._unix_sessions.get(path)
        if session is None or session.closed:
            connector = aiohttp.UnixConnector(path=path, limit=UNIX_CONNECTIONS_PER_SOCKET,
                                              keepalive_timeout=60.0, force_close=False)
            session = self._unix_sessions[path] = self._new_session(connector)
        return session

    def memory_of(self, target: Target) -> _NodeMemory:
        """What is remembered about a node (created on first use)."""
        memory = self._memory.get(target.base_url)
        if memory is None:
            memory = self._memory[target.base_url] = _NodeMemory()
        return memory

    def forget_except(self, keep: set[str]) -> None:
        """Drop state of nodes no longer watched (by base URL), so memory stays flat."""
        for key in [k for k in self._memory if k not in keep]:
            del self._memory[key]
        for path in [p for p in self._unix_sessions if "unix://" + p not in keep]:
            self._retired.append(self._unix_sessions.pop(path))  # closed by the next fetch

    def known_bad(self, target: Target) -> bool:
        """True when the node's last round failed (the poller schedules those last)."""
        memory = self._memory.get(target.base_url)
        return memory is not None and memory.last_state not in (None, "ok")

    async def fetch(self, target: Target, deadline: float | None = None) -> ClusterNode:
        """Read one node before `deadline` (loop time); every outcome becomes a NodeStatus."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        if self._retired:
            await self._close_retired()
        memory = self.memory_of(target)
        end = started + self.timeout_s if deadline is None else min(deadline,
                                                                     started + self.timeout_s)
        try:
            snapshot, source = await self._read(target, memory, end)
        except _Outcome as out:
            error = out.error
            if out.state == "timeout" and end < started + self.timeout_s:
                error = ROUND_DEADLINE_PASSED  # the round's end cut the read, not its timeout
            return self._failed(target, memory, out.state, error, out.http_status,
                                loop.time() - started)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the one place a surprise becomes a status
            return self._failed(target, memory, "bad_payload", f"{type(exc).__name__}: {exc}",
                                None, loop.time() - started)
        now = time.time()
        memory.source, memory.snapshot, memory.last_ok_at_s = source, snapshot, now
        memory.last_state = "ok"
        status = NodeStatus(address=target.address, state="ok",
                            latency_s=loop.time() - started, last_ok_at_s=now, source=source)
        return ClusterNode(status, snapshot)

    def timed_out(self, target: Target, why: str = "") -> ClusterNode:
        """The node did not answer within the round: timeout, last snapshot kept."""
        memory = self.memory_of(target)
        return self._failed(target, memory, "timeout", why or ROUND_DEADLINE_PASSED, None, None)

    def _failed(self, target: Target, memory: _NodeMemory, state: str, error: str,
                http_status: int | None, latency_s: float | None) -> ClusterNode:
        memory.last_state = state
        status = NodeStatus(address=target.address, state=state, error=error,
                            http_status=http_status, latency_s=latency_s,
                            last_ok_at_s=memory.last_ok_at_s, source=memory.source)
        return ClusterNode(status, memory.snapshot)

    async def _read(self, target: Target, memory: _NodeMemory,
                    end: float) -> tuple[NodeSnapshot, str]:
        if self.prefer_json and memory.source != "text":
            try:
                body = await self._get(target, target.snapshot_url, end, json_path=True)
                if memory.source == "json" and body == memory.body and memory.snapshot:
                    return memory.snapshot, "json"
                snapshot = snapshot_from_json(body)
                memory.body, memory.template = body, None
                return snapshot, "json"
            except _Fallback:
                pass
            except NotOurs:
                pass
            except ValueError as exc:
                raise _Outcome("bad_payload", f"/snapshot: {exc}") from None
        body = await self._get(target, target.metrics_url, end, json_path=False)
        # Exporters collect every few seconds and views poll faster: an unchanged body is
        # the same snapshot, so skip decoding it again.
        if memory.source == "text" and body == memory.body and memory.snapshot:
            return memory.snapshot, "text"
        try:
            snapshot, template = snapshot_from_next_text(
                body, target.address, memory.body,
                memory.template if memory.source == "text" else None)
            memory.body, memory.template = body, template
            return snapshot, "text"
        except ParseError as exc:
            raise _Outcome("bad_payload", f"/metrics: {exc}") from None

    async def _get(self, target: Target, url: str, end: float, *, json_path: bool) -> bytes:
        loop = asyncio.get_running_loop()
        session = self._get_session(target)
        attempt = hops = 0
        request_url = _parsed_url(url)
        while True:
            remaining = end - loop.time()
            if remaining <= 0:
                raise _Outcome("timeout", f"no answer within {self.timeout_s:g} s")
            # The session's own timeout serves unless the round's deadline is nearer; one
            # ClientTimeout less per request is measurable at thousands of nodes.
            timeout = (self._session_timeout if remaining >= self.timeout_s
                       else aiohttp.ClientTimeout(total=remaining))
            try:
                async with session.get(request_url, timeout=timeout,
                                       allow_redirects=False) as resp:
                    if resp.status in _REDIRECTS:
                        request_url = _same_origin_redirect(request_url, resp, hops)
                        hops += 1
                        continue
                    return await self._body(resp, json_path)
            except asyncio.TimeoutError:
                raise _Outcome("timeout", f"no answer within {self.timeout_s:g} s") from None
            except aiohttp.ClientPayloadError as exc:
                raise _Outcome("bad_payload", f"truncated body: {_cause(exc)}") from None
            except aiohttp.ClientConnectorCertificateError as exc:
                # A certificate that failed once fails again: no retry.
                raise _Outcome("unreachable", _tls_refusal(exc)) from None
            except (aiohttp.ClientConnectionError, OSError) as exc:
                delay = _RETRY_BACKOFF_S[attempt] if attempt < len(_RETRY_BACKOFF_S) else None
                # Retry only while a retry can still finish inside the round.
                if delay is None or loop.time() + delay >= end:
                    raise _Outcome("unreachable", _describe(exc)) from None
                attempt += 1
                await asyncio.sleep(delay)
            except aiohttp.ClientResponseError as exc:
                raise _Outcome("bad_payload", f"bad response: {exc.message}") from None
            except aiohttp.ClientError as exc:
                raise _Outcome("bad_payload", _describe(exc)) from None

    async def _body(self, resp: aiohttp.ClientResponse, json_path: bool) -> bytes:
        if resp.status != 200:
            if json_path and resp.status not in (401, 403):
                resp.release()
                raise _Fallback
            raise _Outcome("http_error", f"HTTP {resp.status} {resp.reason or ''}".strip(),
                           resp.status)
        cap = self.max_body_bytes
        declared = resp.content_length
        if declared is not None and declared > cap:
            resp.close()
            raise _Outcome("too_large", f"body of {declared} bytes exceeds {cap}")
        try:
            return await read_capped(resp.content.iter_chunked(CHUNK_BYTES),
                                     resp.headers.get("Content-Encoding", ""), cap)
        except BodyTooLarge as exc:
            resp.close()
            raise _Outcome("too_large", str(exc)) from None
        except BadEncoding as exc:
            resp.close()
            raise _Outcome("bad_payload", str(exc)) from None

    async def _close_retired(self) -> None:
        retired, self._retired = self._retired, []
        for session in retired:
            await session.close()

    async def close(self) -> None:
        """Close the sessions and their connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
        self._retired.extend(self._unix_sessions.values())
        self._unix_sessions.clear()
        await self._close_retired()


@functools.lru_cache(maxsize=65536)
def _parsed_url(url: str) -> yarl.URL:
    # Node URLs are built once from the host list: parse them once, not every round.
    return yarl.URL(url)


def _origin(url: yarl.URL) -> tuple[str, str, int | None]:
    return (url.scheme.lower(), (url.host or "").lower(), url.port)


def _same_origin_redirect(current: yarl.URL, resp: aiohttp.ClientResponse, hops: int) -> yarl.URL:
    """Where a redirect leads, when it stays on the node's own origin within MAX_REDIRECTS.

    A redirect to another host would show that host's data as this node's, so it is an
    http_error; so is a loop of redirects.
    """
    resp.release()
    location = resp.headers.get("Location", "")
    status = resp.status
    if hops >= MAX_REDIRECTS:
        raise _Outcome("http_error", f"more than {MAX_REDIRECTS} redirects", status)
    try:
        target = current.join(yarl.URL(location))
    except ValueError:
        raise _Outcome("http_error", f"HTTP {status} with a bad Location", status) from None
    if not location or _origin(target) != _origin(current):
        where = f"{target.scheme}://{target.host}:{target.port}" if target.host else "nowhere"
        raise _Outcome("http_error", f"HTTP {status} redirect to another origin ({where}) refused",
                       status)
    return target


def _describe(exc: BaseException) -> str:
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"cannot connect: {exc.os_error.strerror or exc.os_error}"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "server closed the connection"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _tls_refusal(exc: aiohttp.ClientConnectorCertificateError) -> str:
    """'TLS certificate not trusted: ...'; the fix for a private CA is named in the text."""
    cause = exc.certificate_error
    reason = getattr(cause, "verify_message", None) or getattr(cause, "reason", None) or cause
    return f"TLS certificate not trusted: {reason} (private CA: --ca-file)"


def _cause(exc: BaseException) -> str:
    inner = exc.__cause__ or exc.__context__
    message = getattr(inner, "message", None) or str(inner or exc)
    return str(message)
