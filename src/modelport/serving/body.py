"""Reading request bodies safely: size limits (also after decompression), a read timeout, the media type.

- ``Content-Encoding: gzip`` or ``deflate`` is decoded as it arrives (tritonclient compresses
  requests); the limit applies to the decoded size too, so a decompression bomb is a 413 after at
  most ``limit`` decoded bytes. Any other encoding is a 415.
- A body over the limit is drained (up to ``DRAIN_BYTES`` more) before the 413 is sent: a client that
  writes the whole body before reading, like Python's ``urllib``, then gets the answer instead of a
  connection reset. Beyond that the connection is closed.
- A body that stops arriving for ``timeout_s`` is a 408.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from modelport.errors import PayloadTooLarge, RequestTimeout, UnsupportedMediaType

if TYPE_CHECKING:
    from starlette.requests import Request

__all__ = ["DRAIN_BYTES", "media_type", "read_body"]

DRAIN_BYTES = 16 * 1024 * 1024
"""How much of an oversized body is read (and dropped) before answering 413."""

_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


async def read_body(request: Request, limit: int, *, timeout_s: float = 30.0) -> bytes:
    """The whole (decoded) body, or ``PayloadTooLarge`` once it exceeds ``limit`` bytes."""
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "", *_WBITS):
        raise UnsupportedMediaType(f"content encoding {encoding!r} is not supported; use gzip, deflate or none")
    declared = request.headers.get("content-length")
    chunks = _Chunks(request, timeout_s)
    if declared is not None and declared.isdigit() and int(declared) > limit:
        await _drain(chunks, int(declared))
        raise PayloadTooLarge(f"the body has {int(declared)} bytes; the limit is {limit}")
    decoder = zlib.decompressobj(_WBITS[encoding]) if encoding in _WBITS else None
    parts: list[bytes] = []
    size = 0
    while (chunk := await chunks.next()) is not None:
        if decoder is not None:
            try:
                chunk = decoder.decompress(chunk, limit + 1 - size)
            except zlib.error as exc:
                raise UnsupportedMediaType(f"the body is not valid {encoding} data: {exc}") from None
            if decoder.unconsumed_tail:  # more decoded bytes are waiting than the limit allows
                size = limit + 1
        size += len(chunk)
        if size > limit:
            await _drain(chunks, DRAIN_BYTES)
            what = "decoded body" if decoder is not None else "body"
            raise PayloadTooLarge(f"the {what} exceeds the limit of {limit} bytes")
        parts.append(chunk)
    if decoder is not None and not decoder.eof:
        raise UnsupportedMediaType(f"the {encoding} body is truncated")
    return parts[0] if len(parts) == 1 else b"".join(parts)


class _Chunks:
    """The body's chunks, each awaited for at most ``timeout_s`` (``asyncio.timeout``: no task per chunk)."""

    def __init__(self, request: Request, timeout_s: float) -> None:
        self._stream: AsyncIterator[bytes] = request.stream().__aiter__()
        self._timeout_s = timeout_s

    async def next(self) -> bytes | None:
        """The next non-empty chunk, or None at the end of the body."""
        while True:
            try:
                async with asyncio.timeout(self._timeout_s):
                    chunk = await anext(self._stream)
            except StopAsyncIteration:
                return None
            except TimeoutError:
                raise RequestTimeout(f"the request body stopped arriving for {self._timeout_s:g} s") from None
            if chunk:
                return chunk


async def _drain(chunks: _Chunks, budget: int) -> None:
    """Read and drop up to ``budget`` bytes so the client finishes sending and reads the answer."""
    if budget > DRAIN_BYTES:
        return  # too much to read: the connection is closed after the answer
    dropped = 0
    while (chunk := await chunks.next()) is not None:
        dropped += len(chunk)
        if dropped > budget:
            return


def media_type(request: Request, allowed: tuple[str, ...]) -> str:
    """The request's media type if in ``allowed`` (a missing header means the first), else 415."""
    raw = request.headers.get("content-type")
    if raw is None:
        return allowed[0]
    mime, _, params = raw.partition(";")
    mime = mime.strip().lower()
    charset = params.strip().lower()
    if mime not in allowed or (charset.startswith("charset=") and charset[8:].strip('"') not in ("utf-8", "utf8")):
        raise UnsupportedMediaType(f"content type {raw!r} is not supported; use one of {', '.join(allowed)}")
    return mime
