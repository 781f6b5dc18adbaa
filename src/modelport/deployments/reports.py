"""Read-side views for people and pipelines: rollout status, deployment history, A/B and shadow reports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from modelport.deployments.abstats import compare_arms
from modelport.deployments.analysis import VersionStats, analyze_canary
from modelport.deployments.canary import CanaryPolicy
from modelport.deployments.codec import policy_from_json
from modelport.deployments.policy import ABPolicy
from modelport.deployments.rollouts import Rollouts
from modelport.deployments.shadow import summarize_shadow
from modelport.errors import NotFound
from modelport.state import OutcomeCounts, PolicyRevision
from modelport.state.timestamps import utcnow

__all__ = ["ab_report", "deployment_history", "rollout_status", "shadow_report"]


def rollout_status(rollouts: Rollouts, name: str, *, now: datetime | None = None) -> dict[str, Any]:
    """The current policy, live outcomes per version under it and, for a canary, the analysis as of now."""
    revision, policy = rollouts.current(name)
    store = rollouts.store
    out: dict[str, Any] = {
        "deployment": name,
        "kind": policy.kind,
        "policy": policy.to_json(),
        "describe": policy.describe(),
        "revision": None if revision is None else revision.to_dict(),
    }
    if revision is None:
        return out
    totals = store.outcomes.totals(name, revision.id)
    out["outcomes"] = {str(v): VersionStats(c).to_json() for v, c in sorted(totals.items())}
    if isinstance(policy, CanaryPolicy):
        elapsed = ((now or utcnow()) - revision.time).total_seconds()
        d = analyze_canary(
            policy,
            totals.get(policy.stable, OutcomeCounts()),
            totals.get(policy.candidate, OutcomeCounts()),
            elapsed_s=elapsed,
        )
        out["analysis"] = {"action": d.action, "reason": d.reason, "numbers": d.numbers}
        lease = store.policies.lease(f"rollout:{name}")
        out["controller"] = None if lease is None else {"holder": lease.holder, "expires": lease.expires.isoformat()}
    return out


def deployment_history(rollouts: Rollouts, name: str) -> list[dict[str, Any]]:
    """Policy revisions, controller decisions and the followed alias's moves since it was created, oldest first."""
    deployment = rollouts.deployment(name)
    events: list[tuple[datetime, int, dict[str, Any]]] = []
    for r in rollouts.store.policies.revisions(name):
        events.append((r.time, 0, {"type": "policy", **r.to_dict()}))
    for d in rollouts.store.policies.decisions(name):
        events.append((d.time, 1, {"type": "decision", **d.to_dict()}))
    for e in rollouts.store.history(deployment.model):
        if e.alias == deployment.alias and e.action in ("promote", "rollback") and e.time >= deployment.created:
            events.append((e.time, 2, {"type": "alias", **e.to_dict()}))
    return [e for _, _, e in sorted(events, key=lambda t: (t[0], t[1]))]


def _newest_of_kind(rollouts: Rollouts, name: str, kind: str) -> PolicyRevision:
    rollouts.deployment(name)
    found = [r for r in rollouts.store.policies.revisions(name) if r.kind == kind and r.undoes is None]
    if not found:
        raise NotFound(f"deployment {name!r} has never run a {kind} rollout")
    return found[-1]


def ab_report(rollouts: Rollouts, name: str, *, mde: float | None = None, alpha: float = 0.05) -> dict[str, Any]:
    """Per-variant requests and outcomes of the newest A/B test, each variant against the first."""
    revision = _newest_of_kind(rollouts, name, "ab")
    policy = policy_from_json(revision.policy)
    assert isinstance(policy, ABPolicy)
    totals = rollouts.store.outcomes.totals(name, revision.id)
    values: dict[str, list[float]] = {arm.name: [] for arm in policy.arms}
    for fb in rollouts.store.outcomes.feedback(name, revision.id):
        values.setdefault(fb.variant, []).append(fb.value)
    variants = []
    for arm in policy.arms:
        vals = values[arm.name]
        variants.append(
            {
                "name": arm.name,
                "version": arm.version,
                "weight": arm.weight,
                "requests": totals.get(arm.version or 0, OutcomeCounts()).count,
                "outcomes": len(vals),
                "mean": sum(vals) / len(vals) if vals else None,
            }
        )
    control = policy.arms[0]
    comparisons = []
    for arm in policy.arms[1:]:
        result = compare_arms(values[control.name], values[arm.name], alpha=alpha, mde=mde)
        row: dict[str, Any] = {"variant": arm.name, "control": control.name}
        if result is None:
            row["note"] = "each variant needs at least two outcomes"
        else:
            row.update(result.to_json())
            if result.needed_per_variant is not None:
                have = min(len(values[control.name]), len(values[arm.name]))
                row["still_needed_per_variant"] = max(0, result.needed_per_variant - have)
        comparisons.append(row)
    return {
        "deployment": name,
        "revision": revision.id,
        "started": revision.time.isoformat(),
        "active": (rollouts.store.policies.current(name) or revision).id == revision.id,
        "key": str(policy.key),
        "mde": mde,
        "variants": variants,
        "comparisons": comparisons,
    }


def shadow_report(rollouts: Rollouts, name: str) -> dict[str, Any]:
    """Agreement, probability differences and latency of the newest shadow rollout."""
    revision = _newest_of_kind(rollouts, name, "shadow")
    report = summarize_shadow(rollouts.store.outcomes.shadow_records(name, revision.id))
    return {"deployment": name, "revision": revision.id, "started": revision.time.isoformat(), **report.to_json()}
