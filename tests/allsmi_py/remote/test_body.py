"""read_capped: decoding under a cap on the decoded size, chunk by chunk."""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator

import pytest

from allsmi_py.remote.body import BadEncoding, BodyTooLarge, read_capped
from tests.hostile.hostile_nodes import GZIP, RAW_DEFLATE, ZLIB, compressed, compressed_zeros


async def _chunks(data: bytes, size: int = 1000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]


BODY = b'{"hostname": "n1", "devices": []}' * 300


@pytest.mark.parametrize(("encoding", "wbits"), [
    ("gzip", GZIP), ("x-gzip", GZIP), ("deflate", ZLIB), ("deflate", RAW_DEFLATE),
    (" GZIP ", GZIP)])
async def test_every_honest_encoding_decodes_to_the_body(encoding: str, wbits: int) -> None:
    assert await read_capped(_chunks(compressed(BODY, wbits)), encoding, 10**6) == BODY


async def test_identity_and_no_encoding_pass_through() -> None:
    assert await read_capped(_chunks(BODY), "", len(BODY)) == BODY
    assert await read_capped(_chunks(BODY), "identity", len(BODY)) == BODY


async def test_the_cap_is_on_decoded_bytes_exactly() -> None:
    packed = compressed_zeros(5000)
    assert await read_capped(_chunks(packed), "gzip", 5000) == bytes(5000)
    with pytest.raises(BodyTooLarge, match="decoded body exceeds 4999"):
        await read_capped(_chunks(packed), "gzip", 4999)


async def test_a_plain_body_over_the_cap_is_too_large() -> None:
    with pytest.raises(BodyTooLarge, match="body exceeds 100 bytes"):
        await read_capped(_chunks(bytes(101), 7), "", 100)


async def test_a_bomb_in_one_chunk_is_stopped_without_inflating_it() -> None:
    bomb = compressed_zeros(256 << 20)  # ~256 KB that means 256 MiB
    with pytest.raises(BodyTooLarge):
        await read_capped(_chunks(bomb, len(bomb)), "gzip", 1 << 20)


@pytest.mark.parametrize("encoding", ["br", "zstd", "gzip, br", "compress"])
async def test_an_encoding_we_cannot_decode_is_refused(encoding: str) -> None:
    with pytest.raises(BadEncoding, match="unsupported Content-Encoding"):
        await read_capped(_chunks(BODY), encoding, 10**6)
    with pytest.raises(BadEncoding):
        await read_capped(_chunks(b""), encoding, 10**6)


async def test_a_cut_or_corrupt_stream_is_bad_encoding() -> None:
    packed = compressed(BODY, GZIP)
    with pytest.raises(BadEncoding, match="cut short"):
        await read_capped(_chunks(packed[:-20]), "gzip", 10**6)
    with pytest.raises(BadEncoding, match="broken gzip"):
        await read_capped(_chunks(b"\x1f\x8b" + bytes(range(200))), "gzip", 10**6)
    with pytest.raises(BadEncoding):
        await read_capped(_chunks(zlib.compress(BODY)), "gzip", 10**6)
