"""Monitoring as users meet it: ``modelport serve`` with two workers, the drift route, /metrics, the CLI.

A shifted feature is flagged, and only it, with counts merged from both workers through the state
store; a run of requests lands in the prediction log and joins with its feedback in ``modelport log``.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest

import modelport
from tests.integration.cli_runner import Cli
from tests.integration.serving_live import ab_requests_with_feedback, eventually

SRC = str(Path(modelport.__file__).resolve().parents[1])
FAST = {
    "MODELPORT_DRIFT__FLUSH_INTERVAL_S": "0.2",
    "MODELPORT_ROLLOUTS__FLUSH_INTERVAL_S": "0.2",
    "MODELPORT_SERVING__POLL_INTERVAL_S": "0.1",
    "MODELPORT_DRIFT__MAX_ROWS_PER_S": "1000000",  # every row counts, however fast the test runs
}


@pytest.fixture
def home(credit_home: Path) -> Path:
    return credit_home


@pytest.fixture
def server(home: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    env = os.environ | {"PYTHONPATH": SRC} | FAST
    argv = [sys.executable, "-m", "modelport", "--home", str(home), "serve", "--port", "0", "--workers", "2"]
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    url = None
    for line in process.stdout:  # the first line names the port the kernel picked
        match = re.search(r"serving on (http://\S+)", line)
        if match:
            threading.Thread(target=process.stdout.read, daemon=True).start()  # never a full pipe
            url = match.group(1)
            break
    assert url is not None, f"modelport serve exited with {process.wait(timeout=30)} before listening"
    with httpx.Client(base_url=url, timeout=5) as client:
        eventually(lambda: _ready(client), "the server is ready", timeout=120)
    yield process, url
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def _ready(client: httpx.Client) -> bool:
    try:
        return client.get("/readyz").status_code == 200
    except httpx.TransportError:
        return False


def _psi_gauges(client: httpx.Client) -> dict[str, float]:
    out = {}
    for line in client.get("/metrics").text.splitlines():
        if line.startswith("modelport_feature_psi{"):
            out[line.split('feature="')[1].split('"')[0]] = float(line.rsplit(" ", 1)[1])
    return out


def test_a_shifted_feature_is_flagged_by_the_route_the_metrics_and_the_cli(
    home: Path, server: tuple[subprocess.Popen[str], str]
) -> None:
    _, url = server
    frame = pd.read_csv(home / "demo" / "credit_to_score.csv").head(1500)
    frame["credit_score"] += 5 * 70.0  # five standard deviations
    with httpx.Client(base_url=url, timeout=30) as client:
        for start in range(0, len(frame), 50):
            rows = frame.iloc[start : start + 50].to_dict(orient="records")
            assert client.post("/predict", json={"features": rows}).status_code == 200

        # Both workers answered some of those requests; their counts meet in the state store.
        eventually(lambda: client.get("/deployments/credit/drift").json()["window"]["rows"] == 1500, "all rows counted")
        body = client.get("/deployments/credit/drift").json()
        assert (body["deployment"], body["model"], body["version"]) == ("credit", "credit_risk", "1")
        assert body["drifted"] == ["credit_score"]
        assert [f["name"] for f in body["features"] if f["drifted"]] == ["credit_score"]

        def gauges_agree() -> bool:
            gauges = _psi_gauges(client)
            return len(gauges) == 20 and gauges["credit_score"] >= 0.2

        eventually(gauges_agree, "modelport_feature_psi of every feature")  # fmt: skip
        gauges = _psi_gauges(client)
        assert [name for name, value in gauges.items() if value >= 0.2] == ["credit_score"]

    cli = Cli(home)
    report = cli.json("drift", "credit")
    assert report["drifted"] == ["credit_score"]
    assert report["window"]["rows"] == 1500
    text = cli("drift", "credit").stdout
    assert "credit_score" in text
    assert text.count("DRIFTED") == 1
    missing = cli("drift", "nope", expect=3)
    assert "error[deployment_not_found]" in missing.stderr


def test_requests_land_in_the_prediction_log_and_join_their_feedback(
    home: Path, server: tuple[subprocess.Popen[str], str]
) -> None:
    process, url = server
    cli = Cli(home)
    cli("ab", "start", "credit", "1", "2")
    rows = pd.read_csv(home / "demo" / "credit_to_score.csv").head(1).to_dict(orient="records")
    ids = [f"run-{i:02d}" for i in range(12)]
    with httpx.Client(base_url=url, timeout=30) as client:
        variants = ab_requests_with_feedback(client, rows, ids)
    process.send_signal(signal.SIGTERM)  # the writer writes what is queued before the workers exit
    process.wait(timeout=60)

    logged = cli.json("log", "credit", "--since", "10m", "--feedback")
    by_id = {e["request_id"]: e for e in logged}
    assert set(ids) <= by_id.keys()
    for i, request_id in enumerate(ids):
        entry = by_id[request_id]
        assert entry["variant"] == variants[request_id]
        assert entry["version"] == ("1" if variants[request_id] == "A" else "2")
        assert entry["inputs"][0]["credit_score"] == pytest.approx(rows[0]["credit_score"])
        assert len(entry["outputs"]["predictions"]) == 1
        assert [f["value"] for f in entry["feedback"]] == [float(i % 2)]
    text = cli("log", "credit", "--since", "10m", "--feedback").stdout
    assert "run-00" in text
    assert "error[invalid_request]" in cli("log", "credit", "--since", "yesterday", expect=2).stderr
