"""Following the control plane: alias moves hot-swap the served version with zero failed requests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pandas as pd
import pytest

from modelport.inference import MemoryCatalog
from tests.api.models import Built

pytestmark = pytest.mark.anyio


async def _eventually(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 20.0) -> None:
    """Wait for a condition the follower brings about (a deadline, not a timing assertion)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.02)


async def _version(client: httpx.AsyncClient) -> str | None:
    body = (await client.get("/health")).json()
    return body["model_version"]  # type: ignore[no-any-return]


async def test_promote_then_rollback(
    client: httpx.AsyncClient, catalog: MemoryCatalog, models: dict[str, Built], rows: pd.DataFrame
) -> None:
    records = {"features": rows.to_dict(orient="records")}
    catalog.point("clf", "production", "2")

    async def on_v2() -> bool:
        return await _version(client) == "2"

    await _eventually(on_v2, "the server serves v2 after the promote")
    body = (await client.post("/predict", json=records)).json()
    assert body["model_version"] == "2"
    assert body["predictions"] == models["clf_v2"].model.predict(rows).tolist()
    view = (await client.get("/deployments/clf")).json()
    assert view["versions"]["previous"]["version"] == "1"  # kept warm for an instant rollback

    catalog.point("clf", "production", "1")

    async def on_v1() -> bool:
        return await _version(client) == "1"

    await _eventually(on_v1, "the server serves v1 after the rollback")
    assert (await client.post("/predict", json=records)).json()["predictions"] == models["clf_v1"].model.predict(
        rows
    ).tolist()


async def test_zero_failed_requests_while_the_alias_moves(
    client: httpx.AsyncClient, catalog: MemoryCatalog, rows: pd.DataFrame
) -> None:
    records = {"features": rows.to_dict(orient="records")}
    seen: list[str] = []
    stop = asyncio.Event()

    async def load() -> None:
        while not stop.is_set():
            response = await client.post("/predict", json=records)
            assert response.status_code == 200, response.text
            seen.append(response.json()["model_version"])

    workers = [asyncio.create_task(load()) for _ in range(4)]
    await _eventually(lambda: _count(seen, 20), "traffic on v1")
    catalog.point("clf", "production", "2")
    await _eventually(lambda: _tail_is(seen, "2"), "traffic switched to v2")
    catalog.point("clf", "production", "1")
    await _eventually(lambda: _tail_is(seen, "1"), "traffic back on v1")
    stop.set()
    await asyncio.gather(*workers)
    assert set(seen) == {"1", "2"}


async def _count(seen: list[str], n: int) -> bool:
    return len(seen) >= n


async def _tail_is(seen: list[str], version: str) -> bool:
    return len(seen) >= 10 and set(seen[-10:]) == {version}


async def test_a_version_that_fails_to_load_leaves_the_old_one_serving(
    client: httpx.AsyncClient, catalog: MemoryCatalog, rows: pd.DataFrame
) -> None:
    catalog.point("clf", "production", "3")  # version 3 is not a loadable model

    async def reported() -> bool:
        return (await client.get("/health")).json()["load_error"] is not None

    await _eventually(reported, "the load failure shows in /health")
    health = (await client.get("/health")).json()
    assert health["status"] == "degraded"
    assert health["model_version"] == "1"
    assert health["load_error"]["version"] == "3"
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["deployments"]["clf"] == "degraded"
    predicted = await client.post("/predict", json={"features": rows.to_dict(orient="records")})
    assert predicted.json()["model_version"] == "1"
    metrics = (await client.get("/metrics")).text
    assert 'modelport_load_failures_total{deployment="clf",version="3"} 1.0' in metrics
    assert 'modelport_deployment_degraded{deployment="clf"} 1.0' in metrics

    catalog.point("clf", "production", "1")  # roll back to the version still serving

    async def healthy() -> bool:
        return (await client.get("/health")).json()["status"] == "healthy"

    await _eventually(healthy, "healthy again after the rollback")
    assert 'modelport_deployment_degraded{deployment="clf"} 0.0' in (await client.get("/metrics")).text


async def test_deployments_come_and_go(client: httpx.AsyncClient, catalog: MemoryCatalog) -> None:
    catalog.deploy("clf-shadow", "clf")

    async def listed() -> bool:
        return (await client.get("/deployments/clf-shadow")).status_code == 200

    await _eventually(listed, "the new deployment is served")
    catalog.undeploy("clf-shadow")

    async def gone() -> bool:
        return (await client.get("/deployments/clf-shadow")).status_code == 404

    await _eventually(gone, "the removed deployment is gone")
