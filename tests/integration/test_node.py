"""A data-plane ``Node`` built from ``Settings`` alone, driven as a stream worker would: no web framework."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import mlflow.pyfunc
import pandas as pd

from modelport.registry import Registry
from modelport.settings import Settings
from modelport.state import StateStore

_SCRIPT = """
import asyncio, json, sys
import pandas as pd
from modelport.inference import Node
from modelport.inference.codecs import seed
from modelport.settings import Settings

async def main():
    rows = pd.read_csv(sys.argv[2]).head(7).to_dict(orient="records")
    async with Node(Settings(home=sys.argv[1]), deployments=["credit"]) as node:
        served = [p.name for p in node.plane.pools]
        prediction = await node.plane.predict("credit", seed.decode_features({"features": rows}))
        answer = seed.answer(prediction)
    # MLflow's client imports FastAPI itself (mlflow.gateway); what matters is that no HTTP layer of ours runs.
    web = sorted(m for m in sys.modules if m.startswith(("modelport.serving", "uvicorn")))
    print(json.dumps({"served": served, "version": answer["model_version"], "variant": answer["variant"],
                      "predictions": answer["predictions"].tolist(), "web": web}))

asyncio.run(main())
"""


def test_a_node_serves_the_registry_without_a_web_framework(demo_home: Path) -> None:
    settings = Settings(home=demo_home)
    store = StateStore.open(settings)
    store.create_deployment("credit", "credit_risk", "production")
    store.create_deployment("other", "credit_risk", "production")  # not asked for: not loaded
    model_dir = Registry.open(settings, store).local_model_dir("credit_risk", 1)
    store.close()
    to_score = demo_home / "demo" / "credit_to_score.csv"

    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(demo_home), str(to_score)], capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr[-3000:]
    doc = json.loads(done.stdout.strip().splitlines()[-1])

    expected = mlflow.pyfunc.load_model(str(model_dir)).predict(pd.read_csv(to_score).head(7))
    assert doc["served"] == ["credit"]
    assert (doc["version"], doc["variant"]) == ("1", "primary")
    assert doc["predictions"] == pd.Series(expected).tolist()
    assert doc["web"] == []
