"""What the read-side reports return: frozen values read by attribute, with the ``--json`` shape in ``to_dict``.

The CLI prints them for people, the admin API and ``--json`` serialize them with ``to_dict()``; the
JSON keys are the contract documented in docs/cli.md and must not change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from modelport.deployments.abstats import Comparison
from modelport.deployments.analysis import Decision, VersionStats
from modelport.deployments.keys import KeySource
from modelport.deployments.policy import Policy
from modelport.deployments.shadow import ShadowReport
from modelport.state import DecisionRecord, Lease, PolicyRevision
from modelport.types import HistoryEntry

__all__ = [
    "ABReport",
    "AliasEvent",
    "ArmComparison",
    "DecisionEvent",
    "HistoryEvent",
    "PolicyEvent",
    "RolloutStatus",
    "ShadowSummary",
    "VariantSummary",
]


@dataclass(frozen=True, slots=True)
class RolloutStatus:
    """A deployment's policy, live outcomes per version under it and, for a canary, the analysis now."""

    deployment: str
    policy: Policy
    revision: PolicyRevision | None
    outcomes: dict[int, VersionStats]
    analysis: Decision | None = None
    controller: Lease | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "deployment": self.deployment,
            "kind": self.policy.kind,
            "policy": self.policy.to_json(),
            "describe": self.policy.describe(),
            "revision": None if self.revision is None else self.revision.to_dict(),
        }
        if self.revision is None:
            return out
        out["outcomes"] = {str(v): stats.to_json() for v, stats in sorted(self.outcomes.items())}
        if self.analysis is not None:
            a = self.analysis
            out["analysis"] = {"action": a.action, "reason": a.reason, "numbers": a.numbers}
            lease = self.controller
            out["controller"] = (
                None if lease is None else {"holder": lease.holder, "expires": lease.expires.isoformat()}
            )
        return out


@dataclass(frozen=True, slots=True)
class PolicyEvent:
    revision: PolicyRevision
    type: Literal["policy"] = "policy"

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, **self.revision.to_dict()}


@dataclass(frozen=True, slots=True)
class DecisionEvent:
    decision: DecisionRecord
    type: Literal["decision"] = "decision"

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, **self.decision.to_dict()}


@dataclass(frozen=True, slots=True)
class AliasEvent:
    entry: HistoryEntry
    type: Literal["alias"] = "alias"

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, **self.entry.to_dict()}


HistoryEvent = PolicyEvent | DecisionEvent | AliasEvent


@dataclass(frozen=True, slots=True)
class VariantSummary:
    """One A/B variant: its traffic and the outcomes reported for it."""

    name: str
    version: int | None
    weight: float
    requests: int
    outcomes: int
    mean: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "weight": self.weight,
            "requests": self.requests,
            "outcomes": self.outcomes,
            "mean": self.mean,
        }


@dataclass(frozen=True, slots=True)
class ArmComparison:
    """One variant against the control: ``result`` None until each has two outcomes."""

    variant: str
    control: str
    result: Comparison | None
    still_needed_per_variant: int | None = None

    def to_dict(self) -> dict[str, Any]:
        row: dict[str, Any] = {"variant": self.variant, "control": self.control}
        if self.result is None:
            row["note"] = "each variant needs at least two outcomes"
            return row
        row.update(self.result.to_json())
        if self.still_needed_per_variant is not None:
            row["still_needed_per_variant"] = self.still_needed_per_variant
        return row


@dataclass(frozen=True, slots=True)
class ABReport:
    """The newest A/B test of a deployment: per-variant traffic and outcomes, each against the first."""

    deployment: str
    revision: PolicyRevision
    active: bool
    key: KeySource
    mde: float | None
    variants: tuple[VariantSummary, ...]
    comparisons: tuple[ArmComparison, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "deployment": self.deployment,
            "revision": self.revision.id,
            "started": self.revision.time.isoformat(),
            "active": self.active,
            "key": str(self.key),
            "mde": self.mde,
            "variants": [v.to_dict() for v in self.variants],
            "comparisons": [c.to_dict() for c in self.comparisons],
        }


@dataclass(frozen=True, slots=True)
class ShadowSummary:
    """The newest shadow rollout of a deployment and how its version compared with the primary."""

    deployment: str
    revision: PolicyRevision
    report: ShadowReport

    def to_dict(self) -> dict[str, Any]:
        head = {"deployment": self.deployment, "revision": self.revision.id, "started": self.revision.time.isoformat()}
        return {**head, **self.report.to_json()}
