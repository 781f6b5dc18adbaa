"""Transport details: compressed bodies, decompression bombs, stalled bodies, clients that hang up."""

from __future__ import annotations

import asyncio
import gzip
import logging
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from modelport.inference import MemoryCatalog
from modelport.serving import create_app
from tests.api.models import make_settings

pytestmark = pytest.mark.anyio

GOOD = {"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0}
BODY = orjson.dumps({"features": [GOOD, GOOD | {"a": -1.0}]})


@pytest.mark.parametrize(("encoding", "encode"), [("gzip", gzip.compress), ("deflate", zlib.compress)])
async def test_gzip_and_deflate_bodies_are_decoded(client: httpx.AsyncClient, encoding: str, encode: Any) -> None:
    plain = await client.post("/predict", content=BODY, headers={"content-type": "application/json"})
    headers = {"content-type": "application/json", "content-encoding": encoding}
    compressed = await client.post("/predict", content=encode(BODY), headers=headers)
    assert compressed.status_code == 200, compressed.text
    assert compressed.json()["predictions"] == plain.json()["predictions"]


@pytest.mark.parametrize(
    ("encoding", "body", "status", "code"),
    [
        ("br", BODY, 415, "unsupported_media_type"),
        ("gzip", BODY, 415, "unsupported_media_type"),  # not gzip data
        ("gzip", gzip.compress(BODY)[:-12], 415, "unsupported_media_type"),  # truncated
    ],
)
async def test_unknown_or_broken_encodings_are_415(
    client: httpx.AsyncClient, encoding: str, body: bytes, status: int, code: str
) -> None:
    headers = {"content-type": "application/json", "content-encoding": encoding}
    response = await client.post("/predict", content=body, headers=headers)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)


async def test_a_decompression_bomb_is_413_after_at_most_the_limit(tmp_path: Path, catalog: MemoryCatalog) -> None:
    bomb = gzip.compress(b" " * (50 * 1024 * 1024))  # 50 MiB of spaces in ~50 KiB
    app = create_app(make_settings(tmp_path, max_body_bytes=64 * 1024), catalog=catalog)
    async with app.router.lifespan_context(app), _client(app) as client:
        headers = {"content-type": "application/json", "content-encoding": "gzip"}
        response = await client.post("/predict", content=bomb, headers=headers)
        assert (response.status_code, response.json()["error"]["code"]) == (413, "payload_too_large")
        assert "decoded body" in response.json()["error"]["message"]
        assert (await client.post("/predict", json={"features": [GOOD]})).status_code == 200


async def test_a_stalled_body_is_408(tmp_path: Path, catalog: MemoryCatalog) -> None:
    app = create_app(make_settings(tmp_path, body_timeout_s=0.2), catalog=catalog)

    async def stalls() -> AsyncIterator[bytes]:
        yield b'{"features": ['
        await asyncio.sleep(5)
        yield b"]}"

    async with app.router.lifespan_context(app), _client(app) as client:
        response = await client.post("/predict", content=stalls(), headers={"content-type": "application/json"})
        assert (response.status_code, response.json()["error"]["code"]) == (408, "request_timeout")


async def test_a_client_hanging_up_mid_body_is_not_an_internal_error(
    tmp_path: Path, catalog: MemoryCatalog, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(make_settings(tmp_path), catalog=catalog)
    messages = iter(
        [{"type": "http.request", "body": b'{"features": [', "more_body": True}, {"type": "http.disconnect"}]
    )
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/predict", "raw_path": b"/predict", "query_string": b"", "root_path": "",
        "headers": [(b"content-type", b"application/json")], "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    async with app.router.lifespan_context(app), _client(app) as client:
        with caplog.at_level(logging.INFO, logger="modelport"):
            await app(scope, receive, send)
        metrics = (await client.get("/metrics")).text
    assert not [m for m in sent if m["type"] == "http.response.start" and m["status"] >= 500]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert 'modelport_errors_total{code="client_disconnected"} 1.0' in metrics
    assert 'code="internal_error"' not in metrics


def _client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
