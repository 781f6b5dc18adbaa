"""Rollouts across two real server processes sharing one MLflow registry and one state store on PostgreSQL.

A paced load generator (≤ 120 requests/s in total, loopback only) drives both replicas while the
control plane changes under it. What the tests show:

- zero failed requests through a canary promoted by the in-server controller, an A/B test, a
  replica restart and two deployment rollbacks; every answer names deployment, variant and version;
- every answer is exactly what the policy in force says for its key (``policy.choose(key)``), where
  "in force" allows the state as it was up to 2 s before the request was sent: both replicas see
  every change within 2 s (they poll the state revision every 0.1 s);
- a key moved to the candidate never goes back to stable while the canary runs and is promoted;
- the A/B split of fresh keys per replica and overall is within 4 binomial standard errors
  (``4 * sqrt(w (1 - w) / n)``, n ≥ 100 per replica) of the weight: a false alarm about once in
  15,000 runs per check;
- sticky keys get the same variant on both replicas and after one replica restarts;
- a candidate failing ~20 % of rows, or 10x slower than ``--max-p99-ms``, is aborted at its first
  step with no failed user request, and the history keeps the numbers; a canary with too little
  traffic waits.
"""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from modelport.demo import run_demo
from modelport.deployments import Policy, policy_from_json
from modelport.registry import Registry
from modelport.settings import Settings
from tests.conftest import PostgresDatabases
from tests.integration.candidates import FailingModel, SlowModel, save_pyfunc
from tests.integration.cli_runner import Cli
from tests.integration.replicas import Answer, LoadGenerator, Replica
from tests.integration.serving_live import eventually

pytestmark = pytest.mark.postgres

DEPLOYMENT = "credit"
VISIBLE_WITHIN_S = 2.0


@dataclass
class Cluster:
    home: Path
    env: dict[str, str]
    cli: Cli
    registry: Registry
    rows: list[dict[str, Any]]
    failing: int
    slow: int
    replicas: list[Replica]

    def load(self, **kw: Any) -> LoadGenerator:
        gen = LoadGenerator(self.rows, deployment=DEPLOYMENT, slots=len(self.replicas), **kw)
        for slot, replica in enumerate(self.replicas):
            gen.attach(slot, replica.url)
        return gen

    def restart(self, gen: LoadGenerator, slot: int) -> None:
        """Like a rolling update: drain the replica, stop it, start a new process, put it back."""
        gen.detach(slot)
        self.replicas[slot].stop()
        self.replicas[slot] = Replica(self.home, self.env, DEPLOYMENT)
        self.replicas[slot].wait_ready()
        gen.attach(slot, self.replicas[slot].url)

    def history(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.cli.json("deployment", "history", DEPLOYMENT)
        return result


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, postgres: PostgresDatabases) -> Iterator[Cluster]:
    home = tmp_path_factory.mktemp("replicas") / "home"
    settings = Settings(home=home, registry_uri=postgres.create(), state_uri=postgres.create())
    registry = Registry.open(settings)
    demo = run_demo(registry, home / "demo", actor="tester")  # credit_risk v1 (production), v2
    frame = pd.read_csv(demo.data_dir / "credit_to_score.csv")
    threshold = float(frame["income"].quantile(0.8))
    safe = frame[frame["income"] <= threshold].head(200)  # the registration sample warms up without failing
    models = tmp_path_factory.mktemp("candidates")
    failing = registry.register(str(save_pyfunc(models / "failing", FailingModel("income", threshold), safe)),
                                demo.model, actor="tester", sample=safe).version  # fmt: skip
    slow = registry.register(str(save_pyfunc(models / "slow", SlowModel(0.1), safe)), demo.model, actor="tester",
                             sample=safe).version  # fmt: skip
    registry.store.create_deployment(DEPLOYMENT, demo.model, "production")
    env = {
        "MODELPORT_REGISTRY_URI": str(settings.registry_uri),
        "MODELPORT_STATE_URI": str(settings.state_uri),
        "MODELPORT_SERVING__POLL_INTERVAL_S": "0.1",
        "MODELPORT_ROLLOUTS__FLUSH_INTERVAL_S": "0.2",
        "MODELPORT_ROLLOUTS__CONTROLLER_INTERVAL_S": "0.2",
        "MODELPORT_ROLLOUTS__LEASE_TTL_S": "3",
    }
    replicas = [Replica(home, env, DEPLOYMENT) for _ in range(2)]
    rows = [{str(k): float(v) for k, v in r.items()} for r in frame.head(400).to_dict(orient="records")]
    try:
        for replica in replicas:
            replica.wait_ready()
        yield Cluster(home, env, Cli(home, env), registry, rows, failing, slow, replicas)
    finally:
        for replica in replicas:
            replica.stop()
        registry.store.close()


# -- reading the timeline back --------------------------------------------------------------------


@dataclass(frozen=True)
class State:
    """What the control plane said from ``since`` on: the deployment's policy and its alias's version."""

    since: float
    policy: Policy
    alias: int

    def expect(self, key: str) -> tuple[str, str]:
        variant = self.policy.choose(key)
        return variant.name, str(variant.version if variant.version is not None else self.alias)


def _ts(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def timeline(history: list[dict[str, Any]], first_alias: int) -> list[State]:
    """Every (policy, alias) state of the deployment, in order, from its history."""
    states = [State(0.0, policy_from_json({"kind": "single"}), first_alias)]
    for event in history:
        last = states[-1]
        if event["type"] == "policy":
            states.append(State(_ts(event["time"]), policy_from_json(event["policy"]), last.alias))
        elif event["type"] == "alias":
            states.append(State(_ts(event["time"]), last.policy, int(event["to_version"])))
    return states


def consistent(answer: Answer, states: list[State]) -> list[int]:
    """Indexes of the states this answer may have been served under: the one in force
    ``VISIBLE_WITHIN_S`` before it was sent, and any that began since."""
    start = max(i for i, s in enumerate(states) if s.since <= answer.sent - VISIBLE_WITHIN_S)
    window = [i for i in range(start, len(states)) if states[i].since <= answer.received]
    return [i for i in window if states[i].expect(answer.key) == (answer.variant, answer.version)]


def check_answers(answers: list[Answer]) -> None:
    failed = [a for a in answers if a.status != 200]
    assert not failed, f"{len(failed)} of {len(answers)} requests failed, e.g. {failed[:3]}"
    assert all(a.deployment == DEPLOYMENT and a.variant and a.version and a.body_ok for a in answers)


# -- the tests --------------------------------------------------------------------------------------


def test_canary_ab_restart_and_rollbacks_under_load_lose_no_request(cluster: Cluster) -> None:
    cli = cluster.cli
    gen = cluster.load(rate=120)
    gen.start()
    try:
        eventually(lambda: len(gen.answers) > 100, "steady traffic", timeout=30)
        cli("canary", DEPLOYMENT, "2", "--steps", "50,100", "--interval", "2500ms",
            "--min-requests", "20", "--max-error-rate", "0.05")  # fmt: skip
        eventually(lambda: cluster.registry.alias_version("credit_risk", "production") == 2, "canary promoted")
        time.sleep(VISIBLE_WITHIN_S + 0.5)
        cli("ab", DEPLOYMENT, "1", "2", "--weights", "30,70")
        time.sleep(4)
        cluster.restart(gen, 1)
        time.sleep(4)
        assert cli.json("rollback", DEPLOYMENT)["undid"] == "policy"  # the A/B test
        time.sleep(VISIBLE_WITHIN_S + 0.5)
        assert cli.json("rollback", DEPLOYMENT)["undid"] == "promotion"  # back to v1
        time.sleep(VISIBLE_WITHIN_S + 0.5)
    finally:
        answers = gen.stop()
    check_answers(answers)
    history = cluster.history()
    decisions = [e["action"] for e in history if e["type"] == "decision" and e["action"] != "wait"]
    assert decisions == ["advance", "promote"], history
    states = timeline(history, first_alias=1)
    kinds = [e["kind"] for e in history if e["type"] == "policy"]
    assert kinds == ["canary", "canary", "single", "ab", "single"], kinds

    # Every answer is what the policy in force (give or take 2 s) says for its key, on both replicas.
    stray = [a for a in answers if not consistent(a, states)]
    assert not stray, f"{len(stray)} answers match no state in force within {VISIBLE_WITHIN_S} s: {stray[:3]}"
    # ... and the last state is reached: both replicas end on v1, the A/B test and canary gone.
    final = states[-1]
    assert (final.policy.kind, final.alias) == ("single", 1)
    for slot in (0, 1):
        tail = [a for a in answers if a.slot == slot and a.sent > final.since + VISIBLE_WITHIN_S]
        assert tail
        assert {(a.variant, a.version) for a in tail} == {("primary", "1")}

    # Once a key reached the candidate it stays there until the A/B test starts (no flip back).
    canary_start = next(s.since for s in states if s.policy.kind == "canary")
    ab = next(s for s in states if s.policy.kind == "ab")
    by_key: dict[str, list[Answer]] = defaultdict(list)
    for a in sorted(answers, key=lambda a: a.sent):
        if canary_start <= a.sent < ab.since:
            by_key[a.key].append(a)
    for key, seen in by_key.items():
        on_candidate = [a.received for a in seen if a.version == "2"]
        if on_candidate:
            back = [a for a in seen if a.sent > min(on_candidate) and a.version != "2"]
            assert not back, f"{key} went back to stable: {back[:3]}"

    # The A/B test: split of fresh keys within 4 standard errors of the weights, per replica and overall.
    next_state = states[states.index(ab) + 1]
    during = [a for a in answers if ab.since + VISIBLE_WITHIN_S <= a.sent and a.received < next_state.since]
    fresh = [a for a in during if not a.sticky]
    weight_a = 0.3
    for group in ([a for a in fresh if a.slot == 0], [a for a in fresh if a.slot == 1], fresh):
        n = len(group)
        assert n >= 100, n
        share_a = sum(a.variant == "A" for a in group) / n
        assert abs(share_a - weight_a) <= 4 * math.sqrt(weight_a * (1 - weight_a) / n), (share_a, n)
    # Sticky keys: one variant per key across both replicas, before and after the restart.
    variants: dict[str, set[str | None]] = defaultdict(set)
    slots: dict[str, set[int]] = defaultdict(set)
    for a in during:
        if a.sticky:
            variants[a.key].add(a.variant)
            slots[a.key].add(a.slot)
    assert len(variants) >= 20
    assert all(len(v) == 1 for v in variants.values()), variants
    assert sum(len(s) == 2 for s in slots.values()) >= 10  # most keys were seen by both replicas
    assert Counter(next(iter(v)) for v in variants.values()).keys() == {"A", "B"}


def _abort_of(cluster: Cluster, candidate: int) -> dict[str, Any]:
    history = cluster.history()
    start = max(i for i, e in enumerate(history) if e["type"] == "policy" and e["kind"] == "canary")
    canary = history[start]
    assert canary["policy"]["candidate"] == candidate
    after = history[start + 1 :]
    decisions = [e for e in after if e["type"] == "decision" and e["action"] != "wait"]
    assert [d["action"] for d in decisions] == ["abort"], after
    assert decisions[0]["policy_revision"] == canary["id"]  # judged at its first step
    assert [(e["type"], e.get("kind")) for e in after if e["type"] != "decision"] == [("policy", "single")]
    numbers: dict[str, Any] = decisions[0]["numbers"]
    assert (numbers["step"], numbers["candidate"]["version"]) == (0, candidate)
    return {"reason": decisions[0]["reason"], **numbers}


def _run_canary_until_aborted(cluster: Cluster, *args: str) -> list[Answer]:
    gen = cluster.load(rate=100)
    gen.start()
    try:
        eventually(lambda: len(gen.answers) > 50, "steady traffic", timeout=30)
        cluster.cli("canary", DEPLOYMENT, *args)
        eventually(lambda: cluster.cli.json("rollout", "status", DEPLOYMENT)["kind"] == "single", "the abort")
        time.sleep(0.5)
    finally:
        answers = gen.stop()
    check_answers(answers)
    return answers


def test_a_candidate_failing_a_fifth_of_rows_is_aborted_at_its_first_step_and_no_user_sees_it(
    cluster: Cluster,
) -> None:
    v = cluster.failing
    answers = _run_canary_until_aborted(cluster, str(v), "--steps", "20,100", "--interval", "60s",
                                        "--min-requests", "20", "--max-error-rate", "0.05")  # fmt: skip
    numbers = _abort_of(cluster, v)
    candidate = numbers["candidate"]
    assert "error rate" in numbers["reason"]
    assert candidate["requests"] >= 20
    assert candidate["error_rate"] > 0.05
    assert candidate["fallbacks"] == candidate["errors"] > 0  # every failure was answered by stable
    assert any(a.variant == "canary" and a.version == str(v) for a in answers)  # its good rows were served


def test_a_candidate_ten_times_slower_than_allowed_is_aborted_at_its_first_step(cluster: Cluster) -> None:
    v = cluster.slow  # sleeps 100 ms a call; allowed p99 10 ms
    _run_canary_until_aborted(cluster, str(v), "--steps", "10,100", "--interval", "60s",
                              "--min-requests", "10", "--max-p99-ms", "10")  # fmt: skip
    numbers = _abort_of(cluster, v)
    assert "p99" in numbers["reason"]
    assert numbers["candidate"]["p99_ms"] >= 100
    assert numbers["candidate"]["errors"] == 0


def test_a_canary_with_too_little_traffic_waits_past_its_interval(cluster: Cluster) -> None:
    import httpx

    started = cluster.cli.json("canary", DEPLOYMENT, "2", "--steps", "10,100", "--interval", "500ms",
                               "--min-requests", "1000")  # fmt: skip
    for replica in cluster.replicas:
        for i in range(10):
            response = httpx.post(
                f"{replica.url}/deployments/{DEPLOYMENT}/predict",
                json={"features": [cluster.rows[i]]},
                headers={"X-Modelport-Key": f"few-{i}"},
                timeout=30,
            )
            assert response.status_code == 200

    def waited() -> bool:
        return any(e["type"] == "decision" and e["policy_revision"] == started["id"] for e in cluster.history())

    eventually(waited, "the controller's decision after the interval")
    status = cluster.cli.json("rollout", "status", DEPLOYMENT)
    assert (status["kind"], status["revision"]["id"], status["policy"]["step"]) == ("canary", started["id"], 0)
    analysis = status["analysis"]
    assert analysis["action"] == "wait"
    assert "too few requests" in analysis["reason"]
    assert analysis["numbers"]["elapsed_s"] > analysis["numbers"]["interval_s"]
    assert analysis["numbers"]["weight"] == 10
    assert 0 < analysis["numbers"]["candidate"]["requests"] + analysis["numbers"]["stable"]["requests"] <= 20
    decisions = [e for e in cluster.history() if e["type"] == "decision" and e["policy_revision"] == started["id"]]
    assert [d["action"] for d in decisions] == ["wait"]
    cluster.cli("rollout", "abort", DEPLOYMENT)
