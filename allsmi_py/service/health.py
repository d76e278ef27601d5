"""Whether the installed exporter answers: one GET of /healthz, capped in time and size."""

from __future__ import annotations

import http.client
import ssl
from dataclasses import dataclass

HEALTH_TIMEOUT_S = 2.0
REPLY_BYTES_MAX = 4096


@dataclass(frozen=True, slots=True)
class Health:
    """What /healthz said: healthy only on 200; `line` says it in words."""

    healthy: bool
    line: str


def probe_health(host: str, port: int, timeout_s: float = HEALTH_TIMEOUT_S) -> Health:
    """GET /healthz over HTTP, and over TLS when the plain request gets no HTTP answer."""
    where = f"{f'[{host}]' if ':' in host else host}:{port}/healthz"
    status, reason = _get(http.client.HTTPConnection(host, port, timeout=timeout_s))
    scheme = "http"
    if status is None:
        # A TLS exporter drops a plain request. Whether its certificate is trusted is no
        # matter here, only whether it answers.
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        tls_status, _ = _get(http.client.HTTPSConnection(host, port, timeout=timeout_s,
                                                         context=context))
        if tls_status is not None:
            status, scheme = tls_status, "https"
    if status is None:
        return Health(False, f"http://{where} does not answer: {reason}")
    return Health(status == 200, f"{scheme}://{where} answers {status}")


def _get(connection: http.client.HTTPConnection) -> tuple[int | None, str]:
    try:
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        response.read(REPLY_BYTES_MAX)
        return response.status, ""
    except (OSError, http.client.HTTPException) as exc:
        return None, (str(exc) or type(exc).__name__)[:200]
    finally:
        connection.close()
