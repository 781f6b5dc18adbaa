"""The screenshots of docs/monitoring.md: a live server with traffic, a canary, an A/B test and drift.

    python -m tests.integration.dashboard_tour docs/img

Takes about three minutes: the charts need minutes of traffic to show anything. It uses the demo
registry in a temporary home, a real server on a port the kernel picks, Debian's Chromium, and
nothing else; the browser tests (test_dashboard_browser.py) check the same pages.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import pandas as pd
import uvicorn
from playwright.sync_api import Page, expect, sync_playwright

from modelport.demo import run_demo
from modelport.deployments import Rollouts
from modelport.registry import Registry
from modelport.serving import create_app
from modelport.serving.server import bind_socket
from modelport.settings import DriftSettings, RolloutSettings, Settings
from modelport.state import FeedbackRecord, StateStore

LONG_MS = 300_000


def _serve(settings: Settings, store: StateStore) -> tuple[str, uvicorn.Server]:
    sock = bind_socket("127.0.0.1", 0)
    host, port = sock.getsockname()[:2]
    server = uvicorn.Server(uvicorn.Config(create_app(settings, store=store), log_config=None, access_log=False))
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not server.started:
        time.sleep(0.1)
    return f"http://{host}:{port}", server


def _traffic(url: str, frame: pd.DataFrame, stop: threading.Event) -> None:
    rows = frame.to_dict(orient="records")
    with httpx.Client(timeout=30) as client:
        i = 0
        while not stop.is_set():
            for name in ("credit", "credit_ab"):
                body = {"features": rows[i % len(rows) : i % len(rows) + 4]}
                headers = {"X-Modelport-Key": f"user-{i}"}
                try:
                    client.post(f"{url}/deployments/{name}/predict", json=body, headers=headers)
                except httpx.TransportError:
                    return  # the server is stopping
            i += 4
            time.sleep(0.05)


def _shot(page: Page, out: Path, name: str) -> None:
    page.wait_for_timeout(2500)  # one more poll, so the charts hold the newest point
    page.screenshot(path=str(out / f"dashboard-{name}.png"), full_page=True)
    print(f"wrote {out / f'dashboard-{name}.png'}")


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="modelport-tour-") as tmp:
        tour(Path(tmp) / "home", out)


def tour(home: Path, out: Path) -> None:
    settings = Settings(
        home=home,
        rollouts=RolloutSettings(flush_interval_s=0.5, controller_interval_s=0.5),
        drift=DriftSettings(flush_interval_s=0.5, min_rows=50),
    )
    registry = Registry.open(settings)
    run_demo(registry, home / "demo", actor="alice")
    store = registry.store
    store.create_deployment("credit", "credit_risk", "production")
    store.create_deployment("credit_ab", "credit_risk", "production")
    frame = pd.read_csv(home / "demo" / "credit_to_score.csv").head(2000)
    frame.loc[frame.index % 3 == 0, "credit_score"] += 150.0  # a third of the applicants look different
    url, server = _serve(settings, store)
    rollouts = Rollouts(store, registry, actor="alice")
    stop = threading.Event()
    threading.Thread(target=_traffic, args=(url, frame, stop), daemon=True).start()
    ab = rollouts.ab("credit_ab", [1, 2], weights=[50, 50], reason="does v2 convert better?")
    for i in range(600):
        variant, version, rate = ("A", 1, 18) if i % 2 else ("B", 2, 24)
        value = float((i * 7919) % 100 < rate)
        store.outcomes.record_feedback(FeedbackRecord("credit_ab", ab.id, variant, version, value))
    time.sleep(45)  # a baseline of v1 alone
    rollouts.canary("credit", 2, steps=(20, 50, 100), interval_s=40.0, reason="v2: gradient boosting")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{url}/ui/deployments/credit")
        expect(page.locator("#timeline li.decision-advance")).to_have_count(1, timeout=LONG_MS)
        page.wait_for_timeout(15_000)
        _shot(page, out, "deployment-canary")
        page.goto(f"{url}/ui")
        _shot(page, out, "overview")
        page.goto(f"{url}/ui/deployments/credit_ab")
        _shot(page, out, "deployment-ab")
        page.goto(f"{url}/ui/deployments/credit")
        expect(page.locator("#timeline li.decision-promote")).to_have_count(1, timeout=LONG_MS)
        page.goto(f"{url}/ui/models/credit_risk")
        _shot(page, out, "model")
        page.goto(f"{url}/ui/deployments/credit/actions/rollback")
        _shot(page, out, "confirm")
        browser.close()
    stop.set()
    time.sleep(1)
    server.should_exit = True
    time.sleep(2)
    store.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/img"))
