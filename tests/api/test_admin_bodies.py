"""Admin and feedback bodies: typed (422 naming the field), JSON only (415), and a refusal changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from modelport.serving import create_app
from modelport.settings import RolloutSettings, Settings
from modelport.state import StateStore

pytestmark = pytest.mark.anyio


class Admin:
    def __init__(self, client: httpx.AsyncClient, store: StateStore, token: str) -> None:
        self.client, self.store, self.headers = client, store, {"authorization": f"Bearer {token}"}

    async def post(self, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        return await self.client.post(path, json=body, headers=self.headers, **kwargs)


@pytest.fixture
async def admin(demo_home: Path) -> AsyncIterator[Admin]:
    settings = Settings(home=demo_home, rollouts=RolloutSettings(controller=False))
    store = StateStore.open(settings)
    store.create_deployment("credit", "credit_risk", "production")
    _, token = store.create_api_key("ops", "admin")
    app = create_app(settings, store=store)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Admin(client, store, token)
    store.close()


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/admin/deployments/credit/ab", {"versions": ["x", 2]}, "versions.0"),
        ("/admin/deployments/credit/ab", {"versions": [1, 2], "weights": "50,50"}, "weights"),
        ("/admin/deployments/credit/canary", {"version": 2, "steps": ["a"]}, "steps.0"),
        ("/admin/deployments/credit/canary", {"version": 2, "max_p99_ms": "abc"}, "max_p99_ms"),
        ("/admin/deployments/credit/canary", {"version": "2"}, "version"),
        ("/admin/deployments/credit/canary", {"version": 2, "colour": "red"}, "colour"),
        ("/admin/deployments/credit/shadow", {"version": True}, "version"),
        ("/admin/deployments/credit/promote", {"reason": 7}, "reason"),
        ("/deployments/credit/feedback", {"request_id": ["x"], "outcome": 1}, "request_id"),
        ("/deployments/credit/feedback", {"request_id": "r1", "outcome": "abc"}, "outcome"),
    ],
)
async def test_fields_of_the_wrong_type_are_422_naming_the_field(
    admin: Admin, path: str, body: dict[str, Any], field: str
) -> None:
    revision = admin.store.revision()
    response = await admin.post(path, body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_field"
    assert field in [d["column"] for d in error["details"]]
    assert admin.store.revision() == revision


async def test_a_bad_query_parameter_is_422(admin: Admin) -> None:
    response = await admin.client.get("/admin/deployments/credit/ab-report?mde=abc", headers=admin.headers)
    assert (response.status_code, response.json()["error"]["details"][0]["column"]) == (422, "mde")


@pytest.mark.parametrize(
    "path", ["/admin/deployments/credit/ab", "/admin/deployments/credit/rollback", "/deployments/credit/feedback"]
)
async def test_state_changing_routes_accept_json_only(admin: Admin, path: str) -> None:
    # A web page may post text/plain cross-site without a preflight: such a request must change nothing.
    revision = admin.store.revision()
    body = '{"versions": [1, 2]}'
    response = await admin.client.post(path, content=body, headers=admin.headers | {"content-type": "text/plain"})
    assert (response.status_code, response.json()["error"]["code"]) == (415, "unsupported_media_type")
    assert admin.store.revision() == revision


async def test_ab_weights_are_percentages_summing_to_100(admin: Admin) -> None:
    refused = await admin.post("/admin/deployments/credit/ab", {"versions": [1, 2], "weights": [30, 30]})
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "invalid_request")
    assert "sum to 100" in refused.json()["error"]["message"]
    started = await admin.post("/admin/deployments/credit/ab", {"versions": [1, 2], "weights": [30, 70]})
    assert started.status_code == 200, started.text


async def test_unknown_operations_and_views_are_404(admin: Admin) -> None:
    assert (await admin.post("/admin/deployments/credit/explode", {})).status_code == 404
    missing = await admin.client.get("/admin/deployments/credit/everything", headers=admin.headers)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "route_not_found")
