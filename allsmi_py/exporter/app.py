"""The exporter's HTTP endpoints as a plain ASGI app over a snapshot source.

`make_app(get_snapshot)` serves /metrics, /snapshot, /-/ready and /healthz from whatever
`get_snapshot()` returns; it never touches hardware, so `allsmi api` and the mock server
share it. With `events`, it streams /events too (Server-Sent Events, see events.py): only
behind a server, never in the mock server's in-memory calls. Processes (their users and
command lines) appear in neither /metrics, /snapshot nor /events unless `include_processes`
(issue 14, item 9). Bytes are rendered once per new
snapshot object and reused until the next one.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, replace
from typing import Any

from allsmi_py.exporter.events import (
    EVENT_STREAM,
    EventOptions,
    EventStreams,
    QueryError,
    parse_params,
    snapshot_frame,
)
from allsmi_py.exporter.render import (
    OPENMETRICS_CONTENT_TYPE,
    TEXT_CONTENT_TYPE,
    render_prometheus,
)
from allsmi_py.model import NodeSnapshot

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Response = tuple[int, str, bytes, list[tuple[bytes, bytes]]]  # status, type, body, headers

JSON_CONTENT_TYPE = "application/json"
PLAIN = "text/plain; charset=utf-8"
OPEN_PATHS = frozenset({"/healthz", "/-/ready", "/ready"})  # probes work without credentials


@dataclass(frozen=True, slots=True)
class Auth:
    """Credentials a scrape must present: a bearer token, HTTP basic user:password, or both."""

    bearer_token: str | None = None
    basic_user: str | None = None
    basic_password: str | None = None

    def allows(self, header: bytes | None) -> bool:
        """True when the Authorization header value matches one configured credential."""
        if header is None:
            return False
        scheme, _, value = header.decode("latin-1").partition(" ")
        scheme, value = scheme.lower(), value.strip()
        if scheme == "bearer" and self.bearer_token:
            return hmac.compare_digest(value.encode(), self.bearer_token.encode())
        if scheme == "basic" and self.basic_user is not None:
            try:
                decoded = base64.b64decode(value, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return False
            expected = f"{self.basic_user}:{self.basic_password or ''}"
            return hmac.compare_digest(decoded.encode(), expected.encode())
        return False

    def challenge(self) -> str:
        """The WWW-Authenticate header for a 401."""
        return 'Basic realm="allsmi"' if self.basic_user is not None else 'Bearer realm="allsmi"'


class _Cache:
    """Rendered bodies of the latest snapshot, keyed by variant; reset when it changes."""

    def __init__(self) -> None:
        self.snapshot: NodeSnapshot | None = None
        self.bodies: dict[str, bytes] = {}

    def get(self, snapshot: NodeSnapshot, variant: str,
            make: Callable[[], str | bytes]) -> bytes:
        if snapshot is not self.snapshot:
            self.snapshot, self.bodies = snapshot, {}
        body = self.bodies.get(variant)
        if body is None:
            made = make()
            body = self.bodies[variant] = made.encode("utf-8") if isinstance(made, str) else made
        return body


def wants_openmetrics(accept: bytes | None) -> bool:
    """True when the Accept header asks for OpenMetrics text."""
    return accept is not None and b"application/openmetrics-text" in accept


def without_processes(snapshot: NodeSnapshot) -> NodeSnapshot:
    """The snapshot with every device's process list emptied (users, command lines)."""
    if not any(device.processes for device in snapshot.devices):
        return snapshot
    return replace(snapshot, devices=tuple(replace(device, processes=())
                                           for device in snapshot.devices))


def make_app(get_snapshot: Callable[[], NodeSnapshot | None], *,
             include_processes: bool = False, auth: Auth | None = None,
             events: EventOptions | None = None) -> ASGIApp:
    """An ASGI app serving the exporter's endpoints from `get_snapshot()` (None: not ready)."""
    cache = _Cache()

    def snapshot_body(snapshot: NodeSnapshot) -> bytes:
        return cache.get(snapshot, "json", lambda: (
            snapshot if include_processes else without_processes(snapshot)).to_json())

    streams = None if events is None else EventStreams(
        events, get_snapshot, lambda snapshot: cache.get(
            snapshot, "sse", lambda: snapshot_frame(snapshot, snapshot_body(snapshot))))

    def metrics(snapshot: NodeSnapshot | None, headers: dict[bytes, bytes]) -> Response:
        om = wants_openmetrics(headers.get(b"accept"))
        ctype = OPENMETRICS_CONTENT_TYPE if om else TEXT_CONTENT_TYPE
        if snapshot is None:
            text = render_prometheus(None, include_processes=include_processes, ready=False,
                                     openmetrics=om)
            return 200, ctype, text.encode("utf-8"), []
        body = cache.get(snapshot, "om" if om else "text", lambda: render_prometheus(
            snapshot, include_processes=include_processes, openmetrics=om))
        return 200, ctype, body, []

    def snapshot_json(snapshot: NodeSnapshot | None, headers: dict[bytes, bytes]) -> Response:
        if snapshot is None:
            body = b'{"error": "no collection cycle has completed yet"}'
            return 503, JSON_CONTENT_TYPE, body, [(b"retry-after", b"1")]
        return 200, JSON_CONTENT_TYPE, snapshot_body(snapshot), [(b"cache-control", b"no-store")]

    def ready(snapshot: NodeSnapshot | None, headers: dict[bytes, bytes]) -> Response:
        if snapshot is None:
            return 503, PLAIN, b"allsmi is not ready: no collection cycle has completed yet.\n", [
                (b"retry-after", b"1"), (b"cache-control", b"no-store")]
        return 200, PLAIN, b"allsmi is ready.\n", [(b"cache-control", b"no-store")]

    def healthz(snapshot: NodeSnapshot | None, headers: dict[bytes, bytes]) -> Response:
        return 200, PLAIN, b"ok\n", []

    routes = {"/metrics": metrics, "/snapshot": snapshot_json, "/-/ready": ready,
              "/ready": ready, "/healthz": healthz}
    paths = set(routes) | ({"/events"} if streams is not None else set())

    async def stream_events(scope: Scope, receive: Receive, send: Send) -> Response | None:
        """Stream /events, or the response that refuses it (None once streamed)."""
        assert streams is not None
        try:
            params = parse_params(scope.get("query_string", b""), streams.options.interval_s)
        except QueryError as exc:
            return 400, PLAIN, f"{exc}\n".encode(), []
        if scope["method"] == "HEAD":
            return 200, EVENT_STREAM, b"", [(b"cache-control", b"no-store")]
        if not streams.admit(scope):
            body = (b'{"error": "subscriber_cap_exceeded", "message": "/events is at its cap of '
                    + str(streams.options.max_streams).encode() + b' streams; retry later"}')
            return 503, JSON_CONTENT_TYPE, body, [(b"retry-after", b"5"),
                                                  (b"cache-control", b"no-store")]
        await streams.stream(scope, receive, send, params)
        return None

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        method = scope["method"]
        path = scope["path"]
        handler = routes.get(path)
        extra: list[tuple[bytes, bytes]] = []
        if path not in paths:
            status, ctype, body = 404, PLAIN, b"not found\n"
        elif method not in ("GET", "HEAD"):
            status, ctype, body = 405, PLAIN, b"method not allowed\n"
            extra = [(b"allow", b"GET, HEAD")]
        else:
            headers = dict(scope["headers"])
            if auth is not None and path not in OPEN_PATHS and not auth.allows(
                    headers.get(b"authorization")):
                status, ctype, body = 401, PLAIN, b"unauthorized\n"
                extra = [(b"www-authenticate", auth.challenge().encode())]
            elif handler is None:  # /events
                answer = await stream_events(scope, receive, send)
                if answer is None:
                    return
                status, ctype, body, extra = answer
            else:
                try:
                    status, ctype, body, extra = handler(get_snapshot(), headers)
                except Exception:  # noqa: BLE001 - a broken snapshot must not leak a traceback
                    status, ctype, body = 500, PLAIN, b"internal error\n"
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", ctype.encode()),
            (b"content-length", str(len(body)).encode()),
            *extra,
        ]})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})

    return app


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
