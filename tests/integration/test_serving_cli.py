"""``modelport serve`` as users run it: a subprocess, several workers on one port, SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from pathlib import Path

import httpx
import pandas as pd
import pytest
from prometheus_client.parser import text_string_to_metric_families

from modelport.settings import Settings
from modelport.state import StateStore
from tests.integration.serving_live import eventually, start_serve


@pytest.fixture
def deployed_home(demo_home: Path) -> Path:
    store = StateStore.open(Settings(home=demo_home))
    store.create_deployment("credit", "credit_risk", "production")
    store.close()
    return demo_home


def _wait_ready(url: str) -> None:
    with httpx.Client(base_url=url, timeout=5) as client:
        for _ in range(600):
            try:
                if client.get("/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            threading.Event().wait(0.1)
    raise AssertionError("the server never became ready")


def test_two_workers_on_one_port_then_sigterm_finishes_in_flight_requests(deployed_home: Path) -> None:
    process, url = start_serve(deployed_home, "--workers", "2", "--deployment", "credit")
    rows = pd.read_csv(deployed_home / "demo" / "credit_to_score.csv").head(500)
    payload = {"features": rows.to_dict(orient="records")}
    try:
        _wait_ready(url)
        with httpx.Client(base_url=url, timeout=30) as client:
            statuses = {client.post("/predict", json=payload).status_code for _ in range(10)}
            assert statuses == {200}
            assert client.get("/health").json()["model_version"] == "1"
        outcomes: list[int | str] = []
        started = threading.Barrier(5)

        def call() -> None:
            with httpx.Client(base_url=url, timeout=60) as client:
                started.wait()
                try:
                    outcomes.append(client.post("/predict", json=payload).status_code)
                except httpx.ConnectError:
                    outcomes.append("refused")  # arrived after the listener closed: never accepted
                except httpx.HTTPError as exc:
                    outcomes.append(repr(exc))

        threads = [threading.Thread(target=call) for _ in range(4)]
        for thread in threads:
            thread.start()
        started.wait()
        process.send_signal(signal.SIGTERM)
        for thread in threads:
            thread.join()
        assert process.wait(timeout=60) == 0
        assert all(o in (200, "refused") for o in outcomes), outcomes
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _sample_sum(exposition: str, name: str) -> float:
    """The sum of every sample called ``name`` in a Prometheus text exposition (all label sets)."""
    return sum(
        sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        if sample.name == name
    )


def _worker_pids(server: subprocess.Popen[str]) -> set[int]:
    """The uvicorn worker processes of a server (spawned children; not multiprocessing's helpers)."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    return {int(pid) for pid in children if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text()}


def _metrics_dir(worker_pid: int) -> Path:
    """The multiprocess metrics directory a worker inherited from the server."""
    environ = dict(
        item.split("=", 1) for item in Path(f"/proc/{worker_pid}/environ").read_text().split("\0") if "=" in item
    )
    return Path(environ["PROMETHEUS_MULTIPROC_DIR"])


def test_metrics_describe_every_worker_whichever_answers_the_scrape(deployed_home: Path) -> None:
    process, url = start_serve(deployed_home, "--workers", "2", "--deployment", "credit")
    rows = pd.read_csv(deployed_home / "demo" / "credit_to_score.csv").head(2)
    payload = {"features": rows.to_dict(orient="records")}
    n_requests = 24
    try:
        _wait_ready(url)
        before = _sample_sum(httpx.get(f"{url}/metrics", timeout=30).text, "modelport_requests_total")
        assert before == 0
        lock = threading.Lock()
        statuses: list[int] = []

        def call(k: int) -> None:
            # A fresh connection per request: the kernel hands each to whichever worker accepts first.
            for _ in range(k):
                status = httpx.post(f"{url}/predict", json=payload, timeout=30).status_code
                with lock:
                    statuses.append(status)

        threads = [threading.Thread(target=call, args=(n_requests // 4,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses == [200] * n_requests
        for _ in range(8):  # fresh connections again: the scrapes land on both workers
            exposition = httpx.get(f"{url}/metrics", timeout=30).text
            assert _sample_sum(exposition, "modelport_requests_total") == n_requests
            assert _sample_sum(exposition, "modelport_predicted_rows_total") == 2 * n_requests
            assert _sample_sum(exposition, "modelport_workers") == 2
            loaded = [
                s
                for f in text_string_to_metric_families(exposition)
                for s in f.samples
                if s.name == "modelport_loaded_version" and s.value == 1
            ]
            assert [(s.labels["version"], s.labels["role"]) for s in loaded] == [("1", "active")]

        # A worker killed outright: uvicorn replaces it, the server marks it dead, the totals keep its counts.
        workers = _worker_pids(process)
        metrics_dir = _metrics_dir(min(workers))
        assert len(workers) == 2
        assert metrics_dir.stat().st_mode & 0o077 == 0  # private to the server's user
        os.kill(min(workers), signal.SIGKILL)

        def replaced() -> bool:
            now = _worker_pids(process)
            live_gauges = {p.name for p in metrics_dir.glob("gauge_live*.db")}
            return (
                len(now) == 2
                and min(workers) not in now
                and all(f"gauge_livesum_{pid}.db" in live_gauges for pid in now)
                and not any(name.endswith(f"_{min(workers)}.db") for name in live_gauges)
            )

        eventually(replaced, "the killed worker is replaced and marked dead", timeout=45)
        _wait_ready(url)
        exposition = httpx.get(f"{url}/metrics", timeout=30).text
        assert _sample_sum(exposition, "modelport_workers") == 2
        assert _sample_sum(exposition, "modelport_requests_total") == n_requests
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        assert not metrics_dir.exists()  # removed at shutdown
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
