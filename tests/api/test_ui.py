"""The dashboard in-process over the demo registry (credit_risk v1 in production, v2) and its state store.

Auth as the API's (reading: what predict needs; actions: an admin key), CSRF, confirmation, the
actor recorded, escaping, and the pages' security headers. The browser drives the same pages in
tests/integration/test_dashboard_browser.py.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from modelport.deployments import CanaryThresholds, Rollouts
from modelport.registry import Registry
from modelport.serving import create_app
from modelport.settings import Settings
from modelport.state import ShadowRecord, StateStore

pytestmark = pytest.mark.anyio


@dataclass
class Ui:
    client: httpx.AsyncClient
    store: StateStore
    rollouts: Rollouts
    admin: str
    predict: str

    async def csrf(self, path: str = "/ui/deployments/credit/actions/promote") -> str:
        page = await self.client.get(path, headers={"X-API-Key": self.predict})
        assert page.status_code == 200, page.text
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert found is not None
        return found.group(1)

    async def act(self, action: str, form: dict[str, str], **headers: str) -> httpx.Response:
        return await self.client.post(f"/ui/deployments/credit/actions/{action}", data=form, headers=headers)


@pytest.fixture
async def ui(demo_home: Path) -> AsyncIterator[Ui]:
    settings = Settings(home=demo_home, auth="required")
    store = StateStore.open(settings)
    store.create_deployment("credit", "credit_risk", "production")
    _, admin = store.create_api_key("ops-bot", "admin")
    _, predict = store.create_api_key("reader", "predict")
    rollouts = Rollouts(store, Registry(settings, store), actor="tester")
    app = create_app(settings, store=store)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Ui(client, store, rollouts, admin, predict)
    store.close()


async def test_reading_needs_what_predict_needs_and_a_login_cookie_carries_the_key(ui: Ui) -> None:
    refused = await ui.client.get("/ui")
    assert refused.status_code == 401
    assert 'data-code="unauthorized"' in refused.text
    assert 'href="/ui/login"' in refused.text
    bad = await ui.client.post("/ui/login", data={"key": "not-a-key", "csrf": await ui.csrf("/ui/login")})
    assert bad.status_code == 401
    assert "unknown or revoked API key" in bad.text
    login = await ui.client.post("/ui/login", data={"key": ui.predict, "csrf": await ui.csrf("/ui/login")})
    assert login.status_code == 303
    cookie = login.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "samesite=strict" in cookie.lower()
    page = await ui.client.get("/ui")
    assert page.status_code == 200
    assert 'data-deployment="credit"' in page.text
    assert '<span class="alias-version">v1</span>' in page.text
    for path in ("/ui", "/ui/deployments/credit", "/ui/models/credit_risk", "/ui/models"):
        body = (await ui.client.get(path)).text
        assert ui.predict not in body
        assert ui.admin not in body
    assert (await ui.client.get("/ui/deployments/credit/traffic.json")).json()["deployment"] == "credit"


async def test_every_page_keeps_the_browser_on_this_host(ui: Ui) -> None:
    page = await ui.client.get("/ui/deployments/credit", headers={"X-API-Key": ui.predict})
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "script-src 'self'" in csp
    assert "connect-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert not re.search(r'(src|href)="(https?:)?//', page.text)  # every asset is ours
    script = await ui.client.get("/ui/static/htmx.min.js")  # public code: no key needed
    assert (script.status_code, script.headers["content-type"].split(";")[0]) == (200, "text/javascript")
    assert (await ui.client.get("/ui/static/..%2Fviews.py")).status_code == 404


async def test_an_action_without_a_key_or_with_a_predict_key_is_refused_and_changes_nothing(ui: Ui) -> None:
    ui.rollouts.canary("credit", 2, steps=[50, 100])
    before = ui.store.policies.current("credit")
    csrf = await ui.csrf()
    refused = await ui.act("promote", {"csrf": csrf, "reason": "looks fine"})
    assert refused.status_code == 401
    assert 'data-code="unauthorized"' in refused.text
    forbidden = await ui.act("promote", {"csrf": csrf, "key": ui.predict})
    assert forbidden.status_code == 403
    assert 'data-code="forbidden"' in forbidden.text
    assert ui.store.policies.current("credit") == before
    assert ui.store.aliases("credit_risk")["production"] == 1


async def test_an_action_needs_this_sites_csrf_token(ui: Ui) -> None:
    ui.rollouts.canary("credit", 2, steps=[50, 100])
    csrf = await ui.csrf()
    for form, headers in [
        ({"key": ui.admin}, {}),  # no token
        ({"key": ui.admin, "csrf": "forged"}, {}),
        ({"key": ui.admin, "csrf": csrf}, {"origin": "https://evil.example"}),
        ({"key": ui.admin, "csrf": csrf}, {"sec-fetch-site": "cross-site"}),
    ]:
        refused = await ui.act("promote", form, **headers)
        assert refused.status_code == 403, form
        assert 'data-code="csrf_rejected"' in refused.text
    assert ui.store.policies.current("credit").kind == "canary"  # type: ignore[union-attr]


async def test_a_confirmed_promote_is_recorded_under_the_keys_name(ui: Ui) -> None:
    ui.rollouts.canary("credit", 2, steps=[50, 100], thresholds=CanaryThresholds())
    confirm = await ui.client.get("/ui/deployments/credit/actions/promote", headers={"X-API-Key": ui.predict})
    assert "Yes, promote credit" in confirm.text
    assert "takes all traffic" in confirm.text
    csrf = await ui.csrf()
    done = await ui.act("promote", {"csrf": csrf, "key": ui.admin, "reason": "<img src=x onerror=alert(1)> ok"})
    assert done.status_code == 303
    assert done.headers["location"] == "/ui/deployments/credit?done=promote"
    assert ui.store.aliases("credit_risk")["production"] == 2
    revision = ui.store.policies.current("credit")
    assert revision is not None
    assert (revision.kind, revision.actor) == ("single", "ops-bot")
    entry = ui.store.history("credit_risk")[-1]
    assert (entry.action, entry.actor, entry.from_version, entry.to_version) == ("promote", "ops-bot", 1, 2)
    page = await ui.client.get("/ui/deployments/credit?done=promote", headers={"X-API-Key": ui.predict})
    assert "promote done." in page.text
    assert "<img src=x" not in page.text
    assert "&lt;img src=x onerror=alert(1)&gt; ok" in page.text
    history = await ui.client.get("/ui/models/credit_risk/fragments/history", headers={"X-API-Key": ui.predict})
    assert '<td class="actor">ops-bot</td>' in history.text


async def test_a_signed_in_admin_acts_without_typing_the_key_again(ui: Ui) -> None:
    ui.rollouts.bluegreen("credit", 2)
    await ui.client.post("/ui/login", data={"key": ui.admin, "csrf": await ui.csrf("/ui/login")})
    done = await ui.act("switch", {"csrf": await ui.csrf("/ui/deployments/credit/actions/switch")})
    assert done.status_code == 303
    revision = ui.store.policies.current("credit")
    assert revision is not None
    assert (revision.policy["live"], revision.actor) == ("green", "ops-bot")


async def test_unknown_deployments_models_and_actions_are_404_pages(ui: Ui) -> None:
    h = {"X-API-Key": ui.predict}
    for path in ("/ui/deployments/nowhere", "/ui/models/nothing", "/ui/deployments/credit/actions/delete"):
        page = await ui.client.get(path, headers=h)
        assert page.status_code == 404, path
        assert page.headers["content-type"].startswith("text/html")
    conflict = await ui.act("switch", {"csrf": await ui.csrf(), "key": ui.admin})
    assert conflict.status_code == 409
    assert 'data-code="rollout_conflict"' in conflict.text


async def test_the_ab_report_draws_its_interval_and_the_shadow_comparison_its_numbers(ui: Ui) -> None:
    started = ui.rollouts.ab("credit", [1, 2], weights=[50, 50])
    from modelport.state import FeedbackRecord

    for i in range(200):
        variant, version = ("A", 1) if i % 2 else ("B", 2)
        value = float(i % 5 == 0) if variant == "A" else float(i % 3 == 0)
        ui.store.outcomes.record_feedback(FeedbackRecord("credit", started.id, variant, version, value))
    ui.rollouts.abort("credit")
    shadow = ui.rollouts.shadow("credit", 2)
    ui.store.outcomes.record_shadow([ShadowRecord("credit", shadow.id, 1, 2, 4, 3, 0.05, 0.2, 2.0, 3.0)])
    page = await ui.client.get("/ui/deployments/credit/fragments/reports", headers={"X-API-Key": ui.predict})
    assert '<svg class="ci"' in page.text
    assert "two-proportion z-test" in page.text
    assert "(ended)" in page.text
    assert "Shadow comparison" in page.text
    assert "75.00 %" in page.text  # 3 of 4 rows agree


async def test_a_server_without_a_state_store_says_the_dashboard_needs_one(client: httpx.AsyncClient) -> None:
    page = await client.get("/ui")
    assert page.status_code == 404
    assert "needs the state store" in page.text
    assert (await client.get("/ui/static/dashboard.css")).status_code == 200
