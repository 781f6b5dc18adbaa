"""Stopping a server loses no work: shadow copies still running are finished and their comparisons recorded."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pandas as pd
import pytest

from modelport.deployments import Rollouts
from modelport.registry import Registry
from modelport.serving import create_app
from modelport.settings import RolloutSettings, Settings
from modelport.state import StateStore

pytestmark = pytest.mark.anyio


async def test_shadow_copies_running_at_shutdown_are_finished_and_recorded(demo_home: Path) -> None:
    # Outcomes are flushed only at shutdown here, so what is recorded is what the shutdown kept.
    settings = Settings(home=demo_home, rollouts=RolloutSettings(flush_interval_s=60, controller=False))
    store = StateStore.open(settings)
    store.create_deployment("credit", "credit_risk", "production")
    revision = Rollouts(store, Registry.open(settings, store), actor="test").shadow("credit", 2)
    rows = pd.read_csv(demo_home / "demo" / "credit_to_score.csv").head(40).to_dict(orient="records")

    app = create_app(settings, store=store)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            answers = await asyncio.gather(
                *(client.post("/deployments/credit/predict", json={"features": [row]}) for row in rows)
            )
    # The lifespan has ended: the last answer went out just before the shadow copies finished.
    assert [a.status_code for a in answers] == [200] * len(rows)
    assert {a.headers["x-model-version"] for a in answers} == {"1"}

    records = store.outcomes.shadow_records("credit", revision.id)
    store.close()
    assert len(records) == len(rows)
    assert [r.shadow_error for r in records] == [None] * len(rows)
    assert {(r.primary_version, r.shadow_version) for r in records} == {(1, 2)}
