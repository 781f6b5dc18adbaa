"""Two server replicas sharing a registry and state store on PostgreSQL follow one promote and rollback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from modelport.demo import run_demo
from modelport.registry import Registry
from modelport.serving import create_app
from modelport.settings import ServingSettings, Settings
from tests.integration.serving_live import LiveServer, eventually

pytestmark = pytest.mark.postgres


def test_replicas_follow_promote_and_rollback(serve_app: Any, pg_settings: Settings, tmp_path: Path) -> None:
    control = Registry.open(pg_settings)  # the "operator's machine"
    demo = run_demo(control, tmp_path / "demo")
    control.store.create_deployment("credit", demo.model, "production")
    rows = pd.read_csv(demo.data_dir / "credit_to_score.csv").head(3)
    payload = {"features": rows.to_dict(orient="records")}

    replica_settings = pg_settings.model_copy(update={"serving": ServingSettings(poll_interval_s=0.1)})
    replicas: list[LiveServer] = [serve_app(create_app(replica_settings)) for _ in range(2)]

    def versions() -> set[str]:
        out = set()
        for replica in replicas:
            response = httpx.post(f"{replica.url}/predict", json=payload, timeout=30)
            assert response.status_code == 200, response.text
            out.add(response.json()["model_version"])
        return out

    assert versions() == {"1"}
    control.promote(demo.model, 2, reason="replicas test")
    eventually(lambda: versions() == {"2"}, "both replicas serve v2")
    control.rollback(demo.model)
    eventually(lambda: versions() == {"1"}, "both replicas are back on v1")
    control.store.close()
