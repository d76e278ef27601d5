"""Call an ASGI app in process, without a server, and turn its answer into a cached Reply.

The exporter's app answers from memory and never waits on anything, so its coroutine runs
to completion in a single step; we drive it synchronously and keep what it sent.
"""

from __future__ import annotations

from collections.abc import Coroutine, MutableMapping
from typing import Any

from allsmi_py.exporter.app import ASGIApp
from mock_server.http import Reply, make_raw_reply

_REQUEST = {"type": "http.request", "body": b"", "more_body": False}


def call_app(
    app: ASGIApp, method: str, path: str, query: str, headers: dict[str, str], port: int
) -> Reply:
    """The app's answer to one request, as a Reply; RuntimeError if the app tries to wait."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("latin-1"),
        "query_string": query.encode("latin-1"),
        "root_path": "",
        "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
        "server": ("127.0.0.1", port),
        "client": None,
    }
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> MutableMapping[str, Any]:
        return dict(_REQUEST)

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    coroutine = app(scope, receive, send)
    assert isinstance(coroutine, Coroutine)
    try:
        coroutine.send(None)
    except StopIteration:
        pass
    else:
        coroutine.close()
        raise RuntimeError("the exporter app waited on I/O; the mock server needs it in memory")
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return make_raw_reply(start["status"], start.get("headers", []), body)
