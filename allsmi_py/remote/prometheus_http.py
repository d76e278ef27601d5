"""Prometheus' documented HTTP API, read under caps: instant queries and the targets list.

Only `/api/v1/query` and `/api/v1/targets` are asked (what Prometheus, Thanos Query,
VictoriaMetrics and Mimir all serve; the targets list may be missing, and a 404 there is
"no scrape errors", not a failure). Every body is streamed through `body.read_capped`, so a
server that answers with gigabytes, or inflates a small gzip body to gigabytes, is cut at the
cap; `wire_bytes` counts what came over the network (gzip, which httpx asks for by default,
before inflating) so a round can be held to a byte budget. `at` evaluates every query at
one fixed Unix time instead of the server's now.
"""

from __future__ import annotations

import contextvars
import json
import ssl
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

from allsmi_py.remote.body import BadEncoding, BodyTooLarge, read_capped
from allsmi_py.remote.hosts import redact_credentials

DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024


class PrometheusFailure(Exception):
    """Prometheus itself could not answer: a NodeStatus state, a message and an HTTP status."""

    def __init__(self, state: str, message: str, http_status: int | None = None) -> None:
        super().__init__(message)
        self.state = state
        self.http_status = http_status


class OverBudget(PrometheusFailure):
    """A response passed the bytes the caller still allowed it."""

    def __init__(self, allowed: int) -> None:
        super().__init__("over_budget", f"answer over the {allowed} bytes left in the budget")


@dataclass(slots=True)
class Allowance:
    """Bytes the reads of one task (and the tasks it starts) may still take off the wire."""

    granted: int
    left: int


# Set inside a task, it bounds that task's reads only: a part of a round that runs on in
# the background keeps its own allowance while the next round reads without one.
ALLOWANCE: contextvars.ContextVar[Allowance | None] = contextvars.ContextVar(
    "prometheus_allowance", default=None)


class PrometheusApi:
    """An HTTP client of one Prometheus-compatible server; counts bytes on the wire."""

    def __init__(self, url: str, *, timeout_s: float, auth_token: str | None = None,
                 transport: httpx.AsyncBaseTransport | None = None,
                 ssl_context: ssl.SSLContext | None = None,
                 max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
                 at_s: float | None = None) -> None:
        self.url = url.rstrip("/")
        self.shown_url = redact_credentials(self.url)  # basic-auth userinfo is never printed
        self.max_response_bytes = max_response_bytes
        self.at_s = at_s
        self.wire_bytes = 0  # raw bytes of every body read so far; callers take differences
        # gzip only: read_capped inflates gzip and deflate, not br or zstd that httpx would
        # also offer when their packages happen to be installed.
        headers = {"Accept-Encoding": "gzip"}
        if auth_token:
            headers["Authorization"] = f"Bearer {auth_token}"
        self._client = httpx.AsyncClient(base_url=self.url, headers=headers,
                                         timeout=httpx.Timeout(timeout_s), transport=transport,
                                         verify=ssl_context if ssl_context is not None else True)

    async def query(self, promql: str) -> tuple[list[dict[str, Any]], float, list[str]]:
        """An instant vector: its series, the evaluation time, and the server's warnings."""
        form = {"query": promql}
        if self.at_s is not None:
            form["time"] = format(self.at_s, ".3f")
        # POST: a family regex makes a query of a few KB, past what some proxies take in a URL.
        body = await self.call("POST", "/api/v1/query", data=form)
        data = body.get("data")
        if not isinstance(data, dict) or data.get("resultType") != "vector":
            raise PrometheusFailure("bad_payload", "the query answer holds no instant vector")
        result = data.get("result")
        if not isinstance(result, list):
            raise PrometheusFailure("bad_payload", "the query answer holds no result list")
        eval_s = self.at_s if self.at_s is not None else time.time()
        for series in result:
            value = series.get("value") if isinstance(series, dict) else None
            if isinstance(value, list) and value and isinstance(value[0], int | float):
                eval_s = float(value[0])
                break
        warnings = [str(w)[:300] for w in (body.get("warnings") or ())[:10]]
        return [s for s in result if isinstance(s, dict)], eval_s, warnings

    async def targets(self) -> list[dict[str, Any]] | None:
        """The active targets; None when the server has no targets API (404)."""
        try:
            body = await self.call("GET", "/api/v1/targets", params={"state": "active"})
        except PrometheusFailure as exc:
            if exc.http_status == 404:
                return None
            raise
        data = body.get("data")
        targets = data.get("activeTargets") if isinstance(data, dict) else None
        return [t for t in targets if isinstance(t, dict)] if isinstance(targets, list) else []

    async def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """One request; its JSON object when status is success, else PrometheusFailure."""
        try:
            async with self._client.stream(method, path, **kwargs) as response:
                raw = await self._read(response)
        except httpx.TimeoutException as exc:
            raise PrometheusFailure("timeout", f"timed out ({type(exc).__name__})") from None
        except httpx.HTTPError as exc:
            raise PrometheusFailure(
                "unreachable", redact_credentials(str(exc)) or type(exc).__name__) from None
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if response.status_code != 200:
            detail = body.get("error") if isinstance(body, dict) else None
            raise PrometheusFailure(
                "http_error", f"HTTP {response.status_code}"
                + (f": {str(detail)[:200]}" if detail else ""), response.status_code)
        if not isinstance(body, dict):
            raise PrometheusFailure("bad_payload", "the answer is not a JSON object")
        if body.get("status") != "success":
            raise PrometheusFailure("bad_payload", f"status {str(body.get('status'))[:40]!r}: "
                                    f"{str(body.get('error', 'no error given'))[:200]}")
        return body

    async def _read(self, response: httpx.Response) -> bytes:
        encoding = response.headers.get("content-encoding", "")
        chunks = response.aiter_raw()
        if response.is_stream_consumed:  # an in-memory transport (httpx.MockTransport) read it
            chunks, encoding = _one(response.content), ""
        try:
            return await read_capped(self._counted(chunks),
                                     encoding, self.max_response_bytes)
        except BodyTooLarge:
            raise PrometheusFailure("too_large", f"answer over {self.max_response_bytes} bytes",
                                    response.status_code) from None
        except BadEncoding as exc:
            raise PrometheusFailure("bad_payload", str(exc), response.status_code) from None

    async def _counted(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        allowance = ALLOWANCE.get()
        async for chunk in chunks:
            self.wire_bytes += len(chunk)
            if allowance is not None:
                allowance.left -= len(chunk)
                if allowance.left < 0:
                    raise OverBudget(allowance.granted)
            yield chunk

    async def close(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()


async def _one(content: bytes) -> AsyncIterator[bytes]:
    yield content
