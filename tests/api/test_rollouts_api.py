"""Rollouts in one in-process server over the real registry (demo credit_risk v1/v2) and state store."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from modelport.deployments import policy_from_json
from modelport.serving import create_app
from modelport.settings import RolloutSettings, ServingSettings, Settings
from modelport.state import StateStore

pytestmark = pytest.mark.anyio


class Served:
    def __init__(self, client: httpx.AsyncClient, store: StateStore, admin: str, predict: str, row: dict[str, Any]):
        self.client, self.store, self.admin, self.predict_key, self.row = client, store, admin, predict, row

    async def predict(self, key: str | None = None) -> httpx.Response:
        headers = {"X-Modelport-Key": key} if key else {}
        return await self.client.post("/deployments/credit/predict", json={"features": [self.row]}, headers=headers)

    async def admin_call(
        self, path: str, body: dict[str, Any] | None = None, token: str | None = None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token or self.admin}"}
        return await self.client.post(f"/admin/deployments/credit/{path}", json=body or {}, headers=headers)

    async def until(self, variant_seen: str) -> None:
        for i in range(400):
            if (await self.predict(f"probe-{i}")).headers["x-modelport-variant"] == variant_seen:
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"no response from variant {variant_seen!r}")


@pytest.fixture
async def served(demo_home: Path) -> AsyncIterator[Served]:
    settings = Settings(
        home=demo_home,
        serving=ServingSettings(poll_interval_s=0.05, key_cache_s=0.0),
        rollouts=RolloutSettings(flush_interval_s=0.05, controller_interval_s=0.05),
    )
    store = StateStore.open(settings)
    store.create_deployment("credit", "credit_risk", "production")
    _, admin = store.create_api_key("ops", "admin")
    _, predict = store.create_api_key("app", "predict")
    row = {str(k): v for k, v in pd.read_csv(demo_home / "demo" / "credit_to_score.csv").iloc[0].items()}
    app = create_app(settings, store=store)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Served(client, store, admin, predict, row)
    store.close()


async def test_admin_operations_need_an_admin_key_and_a_refusal_changes_nothing(served: Served) -> None:
    url = "/admin/deployments/credit/ab"
    body = {"versions": [1, 2]}
    assert (await served.client.post(url, json=body)).json()["error"]["code"] == "unauthorized"
    assert (await served.client.post(url, json=body)).status_code == 401
    refused = await served.admin_call("ab", body, token=served.predict_key)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    status = await served.client.get("/admin/deployments/credit/status", headers={"X-API-Key": served.predict_key})
    assert status.status_code == 403
    assert served.store.policies.current("credit") is None
    revision = served.store.revision()
    started = await served.admin_call("ab", body)
    assert started.status_code == 200
    assert started.json()["kind"] == "ab"
    assert served.store.revision() == revision + 1


async def test_an_ab_test_splits_by_weight_sticks_per_key_and_names_every_version(served: Served) -> None:
    assert (await served.admin_call("ab", {"versions": [1, 2], "weights": [30, 70]})).status_code == 200
    await served.until("B")
    seen: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for i in range(300):
        response = await served.predict(f"user-{i}")
        assert response.status_code == 200
        variant = response.headers["x-modelport-variant"]
        assert response.headers["x-model-version"] == {"A": "1", "B": "2"}[variant]
        assert response.json()["variant"] == variant
        seen[f"user-{i}"] = variant
        counts[variant] += 1
    assert counts["A"] / 300 == pytest.approx(0.3, abs=0.08)  # binomial sd at n=300 is 0.026: 3 sd
    for i in range(0, 300, 10):
        assert (await served.predict(f"user-{i}")).headers["x-modelport-variant"] == seen[f"user-{i}"]
    feedback = await served.client.post("/deployments/credit/feedback", json={"key": "user-3", "outcome": 1})
    assert feedback.status_code == 201
    assert feedback.json()["variant"] == seen["user-3"]


async def test_a_canary_is_counted_and_promoted_by_the_controller_inside_the_server(served: Served) -> None:
    body = {"version": 2, "steps": [50, 100], "interval_s": 0.2, "min_requests": 20, "max_error_rate": 0.5}
    assert (await served.admin_call("canary", body)).status_code == 200
    await served.until("canary")
    for i in range(2000):
        response = await served.predict(f"k-{i}")
        assert response.status_code == 200
        if any(d.action == "promote" for d in served.store.policies.decisions("credit")):
            break
        await asyncio.sleep(0.005)
    history = (await served.client.get("/admin/deployments/credit/history", headers={"X-API-Key": served.admin})).json()
    decisions = [e for e in history if e["type"] == "decision"]
    assert [e["action"] for e in decisions if e["action"] != "wait"] == ["advance", "promote"], decisions
    alias = next(e for e in history if e["type"] == "alias")
    assert alias["to_version"] == 2
    assert (history[-1]["type"], history[-1]["kind"]) == ("policy", "single")  # after the alias moved


async def test_a_field_key_is_read_from_the_first_row_of_the_body(served: Served) -> None:
    started = await served.admin_call("ab", {"versions": [1, 2], "weights": [50, 50], "key": "field:age"})
    policy = policy_from_json(started.json()["policy"])
    for _ in range(400):  # until this server routes by the A/B policy
        if (await served.predict()).headers["x-modelport-variant"] != "primary":
            break
        await asyncio.sleep(0.02)
    rows = [served.row | {"age": float(age)} for age in range(20, 60)]
    expected = {row["age"]: policy.choose(str(row["age"])).name for row in rows}
    assert set(expected.values()) == {"A", "B"}
    for row in rows:
        for _ in range(2):  # no key header: the field decides, the same every time
            seed = await served.client.post("/deployments/credit/predict", json={"features": [row]})
            assert seed.headers["x-modelport-variant"] == expected[row["age"]]
        split = {"dataframe_split": {"columns": list(row), "data": [list(row.values())]}}
        mlflow = await served.client.post("/deployments/credit/invocations", json=split)
        assert mlflow.headers["x-modelport-variant"] == expected[row["age"]]
