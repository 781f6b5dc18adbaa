"""Who made a change, decided once per entry point and the same in the policy revisions and the model history.

The admin API records the name of the API key that made the request, the rollout controller
``rollout-controller``, the CLI ``MODELPORT_ACTOR`` or else the OS user. Each is read back through
the CLI's ``deployment history --json`` and ``history --json``, as a user would.
"""

from __future__ import annotations

import getpass
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from modelport.deployments import CONTROLLER_ACTOR, CanaryThresholds, OutcomeRecorder, RolloutController, Rollouts
from modelport.registry import Registry
from modelport.serving import create_app
from modelport.settings import RolloutSettings, ServingSettings, Settings
from modelport.state import StateStore
from tests.integration.cli_runner import Cli
from tests.unit.deployments.conftest import Clock

pytestmark = pytest.mark.anyio


def _actors(cli: Cli) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Actors per event kind in ``deployment history credit`` and per action in ``history credit_risk``."""
    deployment: dict[str, set[str]] = {}
    for event in cli.json("deployment", "history", "credit"):
        if event["type"] != "decision":
            deployment.setdefault(event["type"], set()).add(event["actor"])
    model: dict[str, set[str]] = {}
    for entry in cli.json("history", "credit_risk"):
        if entry["action"] != "register":  # the demo's registrations predate the test
            model.setdefault(entry["action"], set()).add(entry["actor"])
    return deployment, model


@pytest.fixture
async def ops_bot(demo_home: Path) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process server (no controller: only the API changes things) and an admin key named ops-bot."""
    settings = Settings(
        home=demo_home,
        actor="not-the-key",  # the server's own setting must not be what an API change is recorded as
        serving=ServingSettings(poll_interval_s=0.05, key_cache_s=0.0),
        rollouts=RolloutSettings(controller=False),
    )
    store = StateStore.open(settings)
    store.create_deployment("credit", "credit_risk", "production")
    _, token = store.create_api_key("ops-bot", "admin")
    app = create_app(settings, store=store)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=headers) as client:
            yield client
    store.close()


async def _post(client: httpx.AsyncClient, operation: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await client.post(f"/admin/deployments/credit/{operation}", json=body or {})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_admin_api_changes_are_recorded_as_the_api_keys_name(ops_bot: httpx.AsyncClient, demo_home: Path) -> None:
    started = await _post(ops_bot, "canary", {"version": 2, "steps": [10, 100]})
    assert started["actor"] == "ops-bot"
    promoted = await _post(ops_bot, "promote", {"reason": "looks good"})
    assert (promoted["kind"], promoted["actor"]) == ("single", "ops-bot")
    undone = await _post(ops_bot, "rollback")
    entry = undone["entry"]
    assert (undone["undid"], entry["action"], entry["actor"]) == ("promotion", "rollback", "ops-bot")

    deployment, model = _actors(Cli(demo_home))
    assert deployment == {"policy": {"ops-bot"}, "alias": {"ops-bot"}}
    # the demo's first promotion was the demo's; everything since was the key's
    assert model["rollback"] == {"ops-bot"}
    assert "ops-bot" in model["promote"]
    promotions = [e for e in Cli(demo_home).json("history", "credit_risk") if e["action"] == "promote"]
    assert (promotions[-1]["actor"], promotions[-1]["to_version"]) == ("ops-bot", 2)


def test_a_controller_promotion_is_rollout_controller_in_both_histories(demo_home: Path) -> None:
    settings = Settings(home=demo_home, actor="ann")  # the process's setting must not leak into the controller's
    registry = Registry.open(settings)
    registry.store.create_deployment("credit", "credit_risk", "production")
    operator = Rollouts(registry.store, registry, actor="ann")
    operator.canary("credit", 2, steps=(100,), interval_s=1, thresholds=CanaryThresholds(min_requests=20))
    revision, _ = operator.current("credit")
    assert revision is not None
    recorder = OutcomeRecorder(registry.store)
    for _ in range(50):
        recorder.record("credit", revision.id, 2, latency_ms=1.0, error=False, fallback=False)
    recorder.flush()
    clock = Clock()
    clock.now = revision.time  # the clock starts when the canary did: nothing here depends on wall time
    clock.advance(2)  # past the step's interval
    controller = RolloutController(registry.store, registry, holder="replica-a", clock=clock)
    assert controller.tick()["credit"].action == "promote"
    registry.store.close()

    deployment, model = _actors(Cli(demo_home))
    assert deployment == {"policy": {"ann", CONTROLLER_ACTOR}, "alias": {CONTROLLER_ACTOR}}
    assert model["promote"] == {"tester", CONTROLLER_ACTOR}  # the demo's first promotion, then the controller's
    promotions = [e for e in Cli(demo_home).json("history", "credit_risk") if e["action"] == "promote"]
    assert (promotions[-1]["actor"], promotions[-1]["to_version"]) == (CONTROLLER_ACTOR, 2)
    revisions = [e for e in Cli(demo_home).json("deployment", "history", "credit") if e["type"] == "policy"]
    assert [(r["kind"], r["actor"]) for r in revisions] == [("canary", "ann"), ("single", CONTROLLER_ACTOR)]


@pytest.mark.parametrize(("env", "expected"), [({"MODELPORT_ACTOR": "ann"}, "ann"), ({}, getpass.getuser())])
def test_the_cli_records_modelport_actor_or_else_the_os_user(
    demo_home: Path, env: dict[str, str], expected: str
) -> None:
    cli = Cli(demo_home, env=env)
    cli("deploy", "credit", "--model", "credit_risk")
    cli("canary", "credit", "2", "--steps", "100")
    cli("rollout", "promote", "credit")
    cli("rollback", "credit_risk", "--alias", "production")
    cli("promote", "credit_risk", "2", "--reason", "by hand")

    deployment, model = _actors(cli)
    assert deployment == {"policy": {expected}, "alias": {expected}}
    assert model["rollback"] == {expected}
    promotions = [e for e in cli.json("history", "credit_risk") if e["action"] == "promote"]
    assert {e["actor"] for e in promotions[1:]} == {expected}  # [0] is the demo's own promotion
