"""Reading request bodies safely: the size limit is enforced while reading; the media type checked."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelport.errors import PayloadTooLarge, UnsupportedMediaType

if TYPE_CHECKING:
    from starlette.requests import Request

__all__ = ["media_type", "read_body"]


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or ``PayloadTooLarge`` as soon as it (or its Content-Length) exceeds ``limit``."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the body has {int(declared)} bytes; the limit is {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            # Stop reading here: a client streaming gigabytes must not make us buffer them.
            raise PayloadTooLarge(f"the body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


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
