"""A node's response body, read under a cap on its *decoded* size.

aiohttp's own decompression checks nothing: a 1 MiB gzip body that inflates to 1 GiB is
inflated whole before anyone can look at its length (issue 14). So the session is opened with
`auto_decompress=False` and this module inflates chunk by chunk, never asking zlib for more
than the bytes left under the cap, and stops at the cap.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator

CHUNK_BYTES = 1 << 16
# Most bytes one inflate step may produce before the loop gets its turn back, so that a
# node's 10 MB of zeros does not hold up every other node's replies.
STEP_BYTES = 1 << 20


class BodyTooLarge(Exception):
    """The body, raw or decoded, passed the cap."""


class BadEncoding(Exception):
    """The body's Content-Encoding is unknown, or its compressed stream is broken or cut."""


def _decompressor(encoding: str, first: bytes) -> zlib._Decompress | None:
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        # RFC 9110 says zlib-wrapped; some servers send raw deflate, whose first byte is not
        # a zlib header (CMF 0x?8 with a check that makes CMF*256+FLG divisible by 31).
        wrapped = len(first) >= 2 and first[0] & 0x0F == 8 and (first[0] << 8 | first[1]) % 31 == 0
        return zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
    raise BadEncoding(f"unsupported Content-Encoding {encoding[:40]!r}")


async def read_capped(chunks: AsyncIterator[bytes], encoding: str, cap: int) -> bytes:
    """The decoded body from raw `chunks`; BodyTooLarge past `cap` bytes, raw or decoded."""
    encoding = encoding.strip().lower()
    out: list[bytes] = []
    raw_size = size = 0
    inflate: zlib._Decompress | None = None
    started = False
    async for chunk in chunks:
        raw_size += len(chunk)
        if raw_size > cap:
            raise BodyTooLarge(f"body exceeds {cap} bytes")
        if not started:
            inflate, started = _decompressor(encoding, chunk), True
        if inflate is None:
            size += len(chunk)
            out.append(chunk)
            continue
        data = chunk
        try:
            while data:
                piece = inflate.decompress(data, min(cap - size + 1, STEP_BYTES))
                size += len(piece)
                if size > cap:
                    raise BodyTooLarge(f"decoded body exceeds {cap} bytes")
                out.append(piece)
                data = inflate.unconsumed_tail
                if data:
                    await asyncio.sleep(0)
        except zlib.error as exc:
            raise BadEncoding(f"broken {encoding} body: {exc}") from None
    if not started:
        _decompressor(encoding, b"")  # an unknown encoding is wrong even when empty
    elif inflate is not None:
        try:
            tail = inflate.flush()
        except zlib.error as exc:
            raise BadEncoding(f"broken {encoding} body: {exc}") from None
        if size + len(tail) > cap:
            raise BodyTooLarge(f"decoded body exceeds {cap} bytes")
        out.append(tail)
        if not inflate.eof:
            raise BadEncoding(f"{encoding} body cut short")
    return b"".join(out)
