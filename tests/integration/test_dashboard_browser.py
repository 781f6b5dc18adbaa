"""The dashboard in a real browser: Debian's Chromium driven by Playwright against a live server.

One browser for the module; each test gets a fresh context and page that record every request the
page makes and every JavaScript error, and fail if a request left the server's host or a script
failed. The screenshots of docs/monitoring.md come from ``python -m tests.integration.dashboard_tour``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from modelport.serving import create_app
from modelport.settings import DriftSettings, RolloutSettings, ServingSettings, Settings
from modelport.state import FeedbackRecord, StateStore
from tests.integration.cli_runner import Cli
from tests.integration.serving_live import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
LIVE_S = 30_000  # ms a live update may take to show (a deadline, not a timing assertion)


# Module scope, not session: while Playwright's sync API is running it holds an asyncio loop on
# the main thread, and every later test calling asyncio.run() would fail.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():  # a missing browser is a failure, never a skip: `make test` installs it
        pytest.fail(f"the browser tests need Debian's Chromium at {CHROMIUM}: apt-get install chromium")
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
    yield browser
    browser.close()


@dataclass
class Dashboard:
    server: LiveServer
    home: Path
    store: StateStore
    row: dict[str, Any]
    cli: Cli = field(init=False)

    def __post_init__(self) -> None:
        self.cli = Cli(self.home)

    def url(self, path: str) -> str:
        return self.server.url + path

    def predict(self, client: httpx.Client, key: str) -> None:
        response = client.post(
            self.url("/deployments/credit/predict"),
            json={"features": [self.row]},
            headers={"X-Modelport-Key": key},
        )
        assert response.status_code == 200, response.text


@pytest.fixture
def dashboard(demo_home: Path, serve_app: Callable[[Any], LiveServer]) -> Iterator[Dashboard]:
    settings = Settings(
        home=demo_home,
        serving=ServingSettings(poll_interval_s=0.1, key_cache_s=0.0),
        rollouts=RolloutSettings(flush_interval_s=0.1, controller_interval_s=0.1),
        drift=DriftSettings(flush_interval_s=0.1),
    )
    store = StateStore.open(settings)
    store.create_deployment("credit", "credit_risk", "production")
    row = {str(k): v for k, v in pd.read_csv(demo_home / "demo" / "credit_to_score.csv").iloc[0].items()}
    server = serve_app(create_app(settings, store=store))
    yield Dashboard(server, demo_home, store, row)
    store.close()


@dataclass
class Watched:
    """A page and what it did: every URL it requested, every script error and console error."""

    page: Page
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _watch(browser: Browser, dashboard: Dashboard, *, javascript: bool = True) -> Iterator[Watched]:
    context = browser.new_context(java_script_enabled=javascript, viewport={"width": 1280, "height": 900})
    watched = Watched(context.new_page())
    watched.page.on("request", lambda r: watched.requests.append(r.url))
    watched.page.on("pageerror", lambda e: watched.errors.append(f"pageerror: {e}"))
    watched.page.on("console", lambda m: watched.errors.append(f"console: {m.text}") if m.type == "error" else None)
    yield watched
    context.close()
    foreign = [u for u in watched.requests if not u.startswith((dashboard.server.url + "/", "data:", "about:"))]
    assert watched.requests, "the page made no request at all"
    assert foreign == [], f"the page reached beyond {dashboard.server.url}: {foreign}"
    assert watched.errors == []


@pytest.fixture
def page(browser: Browser, dashboard: Dashboard) -> Iterator[Watched]:
    yield from _watch(browser, dashboard)


@pytest.fixture
def page_without_js(browser: Browser, dashboard: Dashboard) -> Iterator[Watched]:
    yield from _watch(browser, dashboard, javascript=False)


class Traffic:
    """Requests with fresh sticky keys from a thread until stopped (what a canary needs to move)."""

    def __init__(self, dashboard: Dashboard) -> None:
        self._dashboard = dashboard
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.failures: list[str] = []

    def _run(self) -> None:
        with httpx.Client(timeout=30) as client:
            i = 0
            while not self._stop.is_set():
                try:
                    self._dashboard.predict(client, f"user-{i}")
                except AssertionError as exc:
                    self.failures.append(str(exc))
                i += 1

    def __enter__(self) -> Traffic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def test_the_overview_shows_the_deployment_the_version_it_serves_and_charts(
    page: Watched, dashboard: Dashboard
) -> None:
    p = page.page
    p.goto(dashboard.url("/ui"))
    row = p.locator('tbody[data-deployment="credit"]')
    expect(row.locator(".alias-version")).to_have_text("v1")
    expect(row.locator(".health")).to_have_text("healthy")
    with httpx.Client() as client:
        for i in range(40):
            dashboard.predict(client, f"user-{i}")
    expect(row.locator("td.num").nth(1)).not_to_have_text("—", timeout=LIVE_S)  # requests/s arrives by polling
    p.click('tbody[data-deployment="credit"] a >> nth=0')
    expect(p.locator("h1")).to_have_text("credit")
    expect(p.locator('.chart[data-ready="true"] canvas').first).to_be_visible(timeout=LIVE_S)
    assert p.locator(".chart canvas").count() >= 3


def test_a_promote_made_with_the_cli_shows_up_without_reload(page: Watched, dashboard: Dashboard) -> None:
    p = page.page
    p.goto(dashboard.url("/ui"))
    version = p.locator('tbody[data-deployment="credit"] .alias-version')
    expect(version).to_have_text("v1")
    p.evaluate("window.__sameDocument = true")
    dashboard.cli("promote", "credit_risk", "2", "--reason", "promoted from the CLI")
    expect(version).to_have_text("v2", timeout=LIVE_S)
    p.goto(dashboard.url("/ui/models/credit_risk"))
    history = p.locator("table.history tbody tr").first
    p.evaluate("window.__sameDocument = true")
    dashboard.cli("rollback", "credit_risk", "--reason", "rolled back from the CLI")
    expect(history.locator(".why")).to_have_text("rolled back from the CLI", timeout=LIVE_S)
    expect(history).to_contain_text("v2 → v1")
    assert p.evaluate("window.__sameDocument") is True  # updated in place, never reloaded


def test_a_canarys_steps_appear_as_the_controller_takes_them(page: Watched, dashboard: Dashboard) -> None:
    p = page.page
    p.goto(dashboard.url("/ui/deployments/credit"))
    p.evaluate("window.__sameDocument = true")
    timeline = p.locator("#timeline")
    expect(timeline).to_contain_text("Nothing has changed")
    dashboard.cli(
        "canary", "credit", "2", "--steps", "50,100", "--interval", "1s", "--min-requests", "20",
        "--max-error-rate", "0.5",
    )  # fmt: skip
    expect(timeline.locator('li[data-type="policy"]').first).to_contain_text("step 1/2", timeout=LIVE_S)
    with Traffic(dashboard) as traffic:
        advance = timeline.locator("li.decision-advance")
        expect(advance).to_have_count(1, timeout=LIVE_S * 2)
        expect(advance.locator("table.numbers")).to_contain_text("candidate")
        expect(timeline.locator("li.decision-promote")).to_have_count(1, timeout=LIVE_S * 2)
    assert traffic.failures == []
    expect(p.locator("#summary .kind")).to_have_text("single", timeout=LIVE_S)
    expect(p.locator("#summary .alias-version")).to_have_text("v2")
    promoted = p.locator("#timeline li.event-alias")
    expect(promoted).to_contain_text("production: promote v1 → v2")
    expect(promoted).to_contain_text("by rollout-controller")
    assert p.evaluate("window.__sameDocument") is True


def test_an_action_without_a_key_is_refused(page: Watched, dashboard: Dashboard) -> None:
    p = page.page
    before = len(dashboard.store.history("credit_risk"))
    p.goto(dashboard.url("/ui/deployments/credit"))
    p.click("a.action-rollback")
    expect(p.locator("h1")).to_have_text("Rollback credit?")
    with p.expect_response(lambda r: r.request.method == "POST") as answer:
        p.click("button.danger")
    assert answer.value.status == 401, p.content()
    expect(p.locator("p.error")).to_contain_text("needs an API key with scope 'admin'")
    assert len(dashboard.store.history("credit_risk")) == before
    page.errors[:] = [e for e in page.errors if "401" not in e]  # the refusal itself, logged by the browser


def test_the_ab_report_draws_its_confidence_interval(page: Watched, dashboard: Dashboard) -> None:
    started = dashboard.cli.json("ab", "credit", "1", "2", "--weights", "50,50")
    p = page.page
    p.goto(dashboard.url("/ui/deployments/credit"))
    expect(p.locator("#summary .kind")).to_have_text("ab")
    with httpx.Client() as client:
        for i in range(400):
            variant, version, rate = ("A", 1, 20) if i % 2 else ("B", 2, 30)  # conversions in percent
            converted = float((i * 7919) % 100 < rate)  # a fixed, well-mixed sequence
            dashboard.store.outcomes.record_feedback(
                FeedbackRecord("credit", started["id"], variant, version, converted)
            )
            if i % 10 == 0:
                dashboard.predict(client, f"user-{i}")
    expect(p.locator("#reports svg.ci")).to_be_visible(timeout=LIVE_S)
    expect(p.locator("#reports figcaption")).to_contain_text("interval")


def test_a_shifted_feature_is_flagged_in_the_drift_table_and_drawn(page: Watched, dashboard: Dashboard) -> None:
    p = page.page
    p.goto(dashboard.url("/ui/deployments/credit"))
    expect(p.locator("#drift")).to_contain_text("Too few rows yet")
    frame = pd.read_csv(dashboard.home / "demo" / "credit_to_score.csv").head(600)
    frame["credit_score"] += 5 * 70.0  # five standard deviations
    with httpx.Client(timeout=30) as client:
        for start in range(0, len(frame), 50):
            rows = frame.iloc[start : start + 50].to_dict(orient="records")
            assert client.post(dashboard.url("/deployments/credit/predict"), json={"features": rows}).is_success
    drifted = p.locator("#drift tr.drifted")
    expect(drifted).to_have_count(1, timeout=LIVE_S)
    expect(drifted).to_have_attribute("data-feature", "credit_score")
    expect(p.locator("#drift tr.stable")).to_have_count(19)
    expect(p.locator("#drift figure.bins svg")).to_be_visible()
    expect(p.locator("#drift figcaption")).to_contain_text("credit_score")


def test_the_read_only_pages_work_with_javascript_disabled(page_without_js: Watched, dashboard: Dashboard) -> None:
    p = page_without_js.page
    p.goto(dashboard.url("/ui"))
    expect(p.locator('tbody[data-deployment="credit"] .alias-version')).to_have_text("v1")
    p.click('tbody[data-deployment="credit"] a >> nth=0')
    expect(p.locator("#summary .kind")).to_have_text("single")
    expect(p.locator("#timeline")).to_contain_text("Rollout timeline")
    expect(p.locator("noscript").first).to_be_attached()
    assert p.locator(".chart canvas").count() == 0  # no script ran
    p.click("#summary a >> text=credit_risk")
    expect(p.locator("table.versions tbody tr")).to_have_count(2)
    expect(p.locator("table.history")).to_contain_text("promote")
