"""The one TLS context of a scrape: a private CA (--ca-file, view.ca_file) or no checks at all.

Without either, the system's trust store serves, and a node signed by a private CA is a TLS
error; SSL_CERT_FILE was the only way round that before (issue 15).
"""

from __future__ import annotations

import ssl
from pathlib import Path

from allsmi_py.errors import UsageError

INSECURE_WARNING = ("allsmi: warning: --insecure: TLS certificates are not verified; "
                    "anyone on the path can impersonate a node")


def client_ssl_context(ca_file: str | None = None,
                       insecure: bool = False) -> ssl.SSLContext | None:
    """The context for https nodes (None: the system defaults); UsageError for a bad CA file."""
    if insecure:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if not ca_file:
        return None
    path = Path(ca_file).expanduser()
    if not path.is_file():
        raise UsageError(f"CA file {ca_file} (--ca-file or view.ca_file) does not exist "
                         "or is not a file")
    try:
        return ssl.create_default_context(cafile=str(path))
    except (ssl.SSLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or exc
        raise UsageError(f"CA file {ca_file} (--ca-file or view.ca_file) is not a PEM "
                         f"certificate bundle: {reason}") from None
