"""Rollouts through the real CLI on the embedded default (demo registry: credit_risk v1 in production, v2)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from modelport.deployments import policy_from_json
from modelport.settings import Settings
from modelport.state import FeedbackRecord, ShadowRecord, StateStore
from tests.integration.cli_runner import Cli


@pytest.fixture
def cli(demo_home: Path) -> Cli:
    runner = Cli(demo_home)
    runner("deploy", "credit", "--model", "credit_risk")
    return runner


def _production(cli: Cli) -> int:
    return int(cli.json("models")[0]["aliases"]["production"])


def test_a_canary_starts_refuses_a_second_rollout_and_aborts_back_to_the_alias(cli: Cli) -> None:
    started = cli.json("canary", "credit", "2", "--steps", "10,50,100", "--interval", "2m", "--max-p99-ms", "80")
    assert started["kind"] == "canary"
    assert (started["policy"]["stable"], started["policy"]["candidate"]) == (1, 2)
    assert started["policy"]["interval_s"] == 120
    assert started["policy"]["thresholds"]["max_p99_ms"] == 80
    cli("ab", "credit", "1", "2", expect=4)
    assert "running a canary rollout" in cli.last.stderr
    status = cli.json("rollout", "status", "credit")
    assert status["analysis"]["action"] == "wait"
    assert "too few requests" in status["analysis"]["reason"]
    cli("rollout", "abort", "credit", "--reason", "changed my mind")
    assert cli.json("rollout", "status", "credit")["kind"] == "single"
    history = cli.json("deployment", "history", "credit")
    assert [(e["type"], e.get("kind")) for e in history] == [("policy", "canary"), ("policy", "single")]
    assert history[1]["reason"] == "changed my mind"
    assert _production(cli) == 1


def test_promoting_a_canary_moves_the_alias_and_rollback_of_the_deployment_undoes_that(cli: Cli) -> None:
    cli("canary", "credit", "2")
    cli("rollout", "promote", "credit")
    assert _production(cli) == 2
    cli("rollback", "credit")
    assert "undid the promotion of credit_risk@production; back on version 1" in cli.last.stdout
    assert _production(cli) == 1
    events = [(e["type"], e.get("kind") or e.get("action")) for e in cli.json("deployment", "history", "credit")]
    # The alias moves first, then the policy returns to single (never "single" on the old version).
    assert events == [("policy", "canary"), ("alias", "promote"), ("policy", "single"), ("alias", "rollback")]
    cli("rollback", "credit")  # the policy change that ended the canary goes with the promotion: nothing is resumed
    assert cli.json("rollout", "status", "credit")["kind"] == "single"
    assert _production(cli) == 1


def test_blue_green_switches_and_rollbacks_walk_the_policy_revisions_back(cli: Cli) -> None:
    cli("bluegreen", "credit", "2")
    assert cli.json("rollout", "status", "credit")["policy"]["live"] == "blue"
    cli("switch", "credit")
    assert "now serves green (v2)" in cli.last.stdout
    undone = cli.json("rollback", "credit")
    assert (undone["undid"], undone["revision"]["kind"], undone["now"]["policy"]["live"]) == (
        "policy",
        "blue-green",
        "blue",
    )
    cli("rollback", "credit")
    assert "now single" in cli.last.stdout
    cli("rollback", "credit", expect=4)  # the demo's first promotion had nothing before it
    assert "no change to roll back" in cli.last.stderr or "nothing" in cli.last.stderr
    cli("switch", "credit", expect=4)


def test_an_ab_report_reproduces_an_independent_p_value(cli: Cli) -> None:
    started = cli.json("ab", "credit", "1", "2", "--weights", "30,70", "--key", "header:X-User-Id")
    policy = policy_from_json(started["policy"])
    assert [(a["name"], a["version"], a["weight"]) for a in started["policy"]["arms"]] == [("A", 1, 30), ("B", 2, 70)]
    rng = np.random.default_rng(42)
    store = StateStore.open(Settings(home=cli.home))
    seen: dict[str, list[float]] = {"A": [], "B": []}
    for i in range(3000):
        variant = policy.choose(f"user-{i}")
        value = float(rng.random() < (0.10 if variant.name == "A" else 0.13))
        seen[variant.name].append(value)
        store.outcomes.record_feedback(
            FeedbackRecord("credit", started["id"], variant.name, variant.version or 0, value, key=f"user-{i}")
        )
    store.close()
    report = cli.json("ab", "report", "credit", "--mde", "0.02")
    [comparison] = report["comparisons"]
    table = [[sum(v), len(v) - sum(v)] for v in (seen["A"], seen["B"])]
    _, p_value, _, _ = stats.chi2_contingency(table, correction=False)
    assert comparison["test"] == "two-proportion z-test"
    assert comparison["p_value"] == pytest.approx(p_value, rel=1e-9)
    assert [v["outcomes"] for v in report["variants"]] == [len(seen["A"]), len(seen["B"])]
    assert comparison["still_needed_per_variant"] >= 0
    cli("ab", "report", "credit")
    assert "two-proportion z-test" in cli.last.stdout
    assert "p = " in cli.last.stdout


def test_a_shadow_report_summarizes_the_recorded_comparisons(cli: Cli) -> None:
    started = cli.json("shadow", "credit", "2", "--sample", "0.5")
    store = StateStore.open(Settings(home=cli.home))
    store.outcomes.record_shadow(
        [
            ShadowRecord("credit", started["id"], 1, 2, 4, 3, 0.05, 0.2, 2.0, 3.0),
            ShadowRecord("credit", started["id"], 1, 2, 4, 4, 0.01, 0.02, 4.0, 5.0),
        ]
    )
    store.close()
    report = cli.json("shadow", "report", "credit")
    assert (report["requests"], report["agreement"], report["max_abs_diff"]) == (2, 7 / 8, 0.2)
    assert report["shadow_latency"]["mean_ms"] == 4.0
    cli("shadow", "report", "credit")
    assert "agreement 0.8750" in cli.last.stdout


def test_bad_requests_get_one_line_and_their_exit_code(cli: Cli) -> None:
    cli("canary", "credit", "2", "--steps", "5,50", expect=2)
    assert "last step must be 100" in cli.last.stderr
    cli("canary", "credit", "2", "--interval", "soon", expect=2)
    cli("canary", "nowhere", "2", expect=3)
    cli("canary", "credit", "9", expect=3)
    cli("ab", "credit", "1", "2", "--weights", "50", expect=2)
    cli("ab", "report", "credit", expect=3)
    cli("rollout", "promote", "credit", expect=4)
    assert all("Traceback" not in s for s in (cli.last.stderr, cli.last.stdout))


def test_rollback_of_a_model_without_a_deployment_of_that_name_moves_its_alias(cli: Cli) -> None:
    cli("promote", "credit_risk", "2")
    cli("rollback", "credit_risk")
    assert _production(cli) == 1


def test_deployments_show_what_serves_now_and_a_blue_green_finishes_with_rollout_promote(cli: Cli) -> None:
    [listed] = cli.json("deployments")
    assert (listed["policy"], listed["serving"]) == ("single", [{"variant": "primary", "version": 1, "weight": 100.0}])
    cli("bluegreen", "credit", "2")
    cli("switch", "credit")
    [switched] = cli.json("deployments")
    assert switched["version"] == 1  # the alias has not moved...
    assert switched["policy"] == "blue-green"
    assert [s for s in switched["serving"] if s["weight"] > 0] == [{"variant": "green", "version": 2, "weight": 100.0}]
    table = " ".join(cli("deployments").stdout.replace("│", " ").split())  # cells may wrap
    assert "blue-green:" in table  # ...but v2 answers, and the table says so
    assert "green v2" in table

    cli("rollout", "promote", "credit", "--reason", "green is good")
    assert _production(cli) == 2
    [finished] = cli.json("deployments")
    assert (finished["version"], finished["policy"]) == (2, "single")
    assert finished["serving"] == [{"variant": "primary", "version": 2, "weight": 100.0}]
    history = cli.json("history", "credit_risk")
    assert (history[-1]["action"], history[-1]["to_version"], history[-1]["reason"]) == ("promote", 2, "green is good")
