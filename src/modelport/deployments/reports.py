"""Read-side views for people and pipelines: rollout status, deployment history, A/B and shadow reports.

Each returns a frozen value from ``views.py``; its ``to_dict()`` is the ``--json`` shape.
"""

from __future__ import annotations

from datetime import datetime

from modelport.deployments.abstats import compare_arms
from modelport.deployments.analysis import VersionStats, analyze_canary
from modelport.deployments.canary import CanaryPolicy
from modelport.deployments.codec import policy_from_json
from modelport.deployments.policy import ABPolicy
from modelport.deployments.rollouts import Rollouts
from modelport.deployments.shadow import summarize_shadow
from modelport.deployments.views import (
    ABReport,
    AliasEvent,
    ArmComparison,
    DecisionEvent,
    HistoryEvent,
    PolicyEvent,
    RolloutStatus,
    ShadowSummary,
    VariantSummary,
)
from modelport.errors import NotFound
from modelport.state import OutcomeCounts, PolicyRevision
from modelport.state.timestamps import utcnow

__all__ = ["ab_report", "deployment_history", "rollout_status", "shadow_report"]


def rollout_status(rollouts: Rollouts, name: str, *, now: datetime | None = None) -> RolloutStatus:
    """The current policy, live outcomes per version under it and, for a canary, the analysis as of now."""
    revision, policy = rollouts.current(name)
    store = rollouts.store
    if revision is None:
        return RolloutStatus(deployment=name, policy=policy, revision=None, outcomes={})
    totals = store.outcomes.totals(name, revision.id)
    outcomes = {v: VersionStats(c) for v, c in totals.items()}
    if not isinstance(policy, CanaryPolicy):
        return RolloutStatus(deployment=name, policy=policy, revision=revision, outcomes=outcomes)
    elapsed = ((now or utcnow()) - revision.time).total_seconds()
    analysis = analyze_canary(
        policy,
        totals.get(policy.stable, OutcomeCounts()),
        totals.get(policy.candidate, OutcomeCounts()),
        elapsed_s=elapsed,
    )
    return RolloutStatus(
        deployment=name,
        policy=policy,
        revision=revision,
        outcomes=outcomes,
        analysis=analysis,
        controller=store.policies.lease(f"rollout:{name}"),
    )


def deployment_history(rollouts: Rollouts, name: str) -> list[HistoryEvent]:
    """Policy revisions, controller decisions and the followed alias's moves since it was created, oldest first."""
    deployment = rollouts.deployment(name)
    events: list[tuple[datetime, int, HistoryEvent]] = []
    for r in rollouts.store.policies.revisions(name):
        events.append((r.time, 0, PolicyEvent(r)))
    for d in rollouts.store.policies.decisions(name):
        events.append((d.time, 1, DecisionEvent(d)))
    for e in rollouts.store.history(deployment.model):
        if e.alias == deployment.alias and e.action in ("promote", "rollback") and e.time >= deployment.created:
            events.append((e.time, 2, AliasEvent(e)))
    return [e for _, _, e in sorted(events, key=lambda t: (t[0], t[1]))]


def _newest_of_kind(rollouts: Rollouts, name: str, kind: str) -> PolicyRevision:
    rollouts.deployment(name)
    found = [r for r in rollouts.store.policies.revisions(name) if r.kind == kind and r.undoes is None]
    if not found:
        raise NotFound(f"deployment {name!r} has never run a {kind} rollout")
    return found[-1]


def ab_report(rollouts: Rollouts, name: str, *, mde: float | None = None, alpha: float = 0.05) -> ABReport:
    """Per-variant requests and outcomes of the newest A/B test, each variant against the first."""
    revision = _newest_of_kind(rollouts, name, "ab")
    policy = policy_from_json(revision.policy)
    assert isinstance(policy, ABPolicy)
    totals = rollouts.store.outcomes.totals(name, revision.id)
    values: dict[str, list[float]] = {arm.name: [] for arm in policy.arms}
    for fb in rollouts.store.outcomes.feedback(name, revision.id):
        values.setdefault(fb.variant, []).append(fb.value)
    variants = tuple(
        VariantSummary(
            name=arm.name,
            version=arm.version,
            weight=arm.weight,
            requests=totals.get(arm.version or 0, OutcomeCounts()).count,
            outcomes=len(values[arm.name]),
            mean=sum(values[arm.name]) / len(values[arm.name]) if values[arm.name] else None,
        )
        for arm in policy.arms
    )
    control = policy.arms[0]
    comparisons = []
    for arm in policy.arms[1:]:
        result = compare_arms(values[control.name], values[arm.name], alpha=alpha, mde=mde)
        still_needed = None
        if result is not None and result.needed_per_variant is not None:
            have = min(len(values[control.name]), len(values[arm.name]))
            still_needed = max(0, result.needed_per_variant - have)
        comparisons.append(ArmComparison(arm.name, control.name, result, still_needed))
    return ABReport(
        deployment=name,
        revision=revision,
        active=(rollouts.store.policies.current(name) or revision).id == revision.id,
        key=policy.key,
        mde=mde,
        variants=variants,
        comparisons=tuple(comparisons),
    )


def shadow_report(rollouts: Rollouts, name: str) -> ShadowSummary:
    """Agreement, probability differences and latency of the newest shadow rollout."""
    revision = _newest_of_kind(rollouts, name, "shadow")
    report = summarize_shadow(rollouts.store.outcomes.shadow_records(name, revision.id))
    return ShadowSummary(deployment=name, revision=revision, report=report)
