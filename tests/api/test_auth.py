"""API keys from the real state store: admin routes always need one, predict routes when configured."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from modelport.inference import MemoryCatalog
from modelport.serving import create_app
from modelport.state import StateStore
from tests.api.models import make_settings

pytestmark = pytest.mark.anyio

ROW = {"features": [{"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0}]}


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    return StateStore.open(make_settings(tmp_path))


def _serve(tmp_path: Path, catalog: MemoryCatalog, store: StateStore, auth: str = "auto", **serving: Any) -> FastAPI:
    config = make_settings(tmp_path, key_cache_s=0.0, **serving).model_copy(update={"auth": auth})
    return create_app(config, catalog=catalog, store=store)


@pytest.fixture
async def keyed(tmp_path: Path, catalog: MemoryCatalog, store: StateStore) -> AsyncIterator[httpx.AsyncClient]:
    app = _serve(tmp_path, catalog, store)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client,
    ):
        yield client


async def test_admin_routes_need_an_admin_key(keyed: httpx.AsyncClient, store: StateStore) -> None:
    _, predict_token = store.create_api_key("app", "predict")
    _, admin_token = store.create_api_key("ops", "admin")
    missing = await keyed.get("/admin/status")
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "unauthorized"
    wrong = await keyed.get("/admin/status", headers={"authorization": "Bearer not-a-key"})
    assert wrong.status_code == 401
    scoped = await keyed.get("/admin/status", headers={"authorization": f"Bearer {predict_token}"})
    assert scoped.status_code == 403
    assert scoped.json()["error"]["code"] == "forbidden"
    admin = await keyed.post("/admin/sync", headers={"x-api-key": admin_token})
    assert admin.status_code == 200
    assert {d["name"] for d in admin.json()["deployments"]} >= {"clf"}


async def test_predict_is_open_on_loopback_by_default(keyed: httpx.AsyncClient) -> None:
    assert (await keyed.post("/predict", json=ROW)).status_code == 200


@pytest.mark.parametrize("how", ["required", "public-host"])
async def test_predict_needs_a_key_when_required_or_public(
    tmp_path: Path, catalog: MemoryCatalog, store: StateStore, how: str
) -> None:
    settings: dict[str, Any] = {"auth": "required"} if how == "required" else {"host": "0.0.0.0"}
    app = _serve(tmp_path, catalog, store, **settings)
    _, token = store.create_api_key("app", "predict")
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client,
    ):
        assert (await client.post("/predict", json=ROW)).status_code == 401
        assert (await client.post("/invocations", json={"dataframe_records": ROW["features"]})).status_code == 401
        ok = await client.post("/predict", json=ROW, headers={"authorization": f"Bearer {token}"})
        assert ok.status_code == 200
        v2 = {"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP64", "data": [1, 2, 3, 4]}]}
        assert (await client.post("/v2/models/clf/infer", json=v2, headers={"x-api-key": token})).status_code == 200
        # Model metadata may load a pinned version: it needs the same key as predict.
        for route in ("/v2/models/clf", "/v2/models/clf/versions/2", "/v2/models/clf/versions/2/ready"):
            assert (await client.get(route)).status_code == 401, route
            assert (await client.get(route, headers={"x-api-key": token})).status_code == 200, route
        store.revoke_api_key("app")
        revoked = await client.post("/predict", json=ROW, headers={"authorization": f"Bearer {token}"})
        assert revoked.status_code == 401
        # Probes stay open: Kubernetes has no key.
        assert (await client.get("/readyz")).status_code == 200
