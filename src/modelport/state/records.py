"""Rows of the rollout tables as frozen values (the state layer knows JSON, not policy classes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = [
    "DecisionRecord",
    "ExposureRecord",
    "FeedbackRecord",
    "Lease",
    "OutcomeCounts",
    "PolicyRevision",
    "ShadowRecord",
]


@dataclass(frozen=True, slots=True)
class PolicyRevision:
    """One change of a deployment's traffic policy: who, when, why, and the policy as JSON."""

    id: int
    deployment: str
    time: datetime
    actor: str
    kind: str
    policy: dict[str, Any]
    reason: str | None
    undoes: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "deployment": self.deployment,
            "time": self.time.isoformat(),
            "actor": self.actor,
            "kind": self.kind,
            "policy": self.policy,
            "reason": self.reason,
            "undoes": self.undoes,
        }


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """A rollout controller decision and the numbers that made it."""

    id: int
    deployment: str
    time: datetime
    policy_revision: int
    action: str
    reason: str
    numbers: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "deployment": self.deployment,
            "time": self.time.isoformat(),
            "policy_revision": self.policy_revision,
            "action": self.action,
            "reason": self.reason,
            "numbers": self.numbers,
        }


@dataclass(frozen=True, slots=True)
class Lease:
    name: str
    holder: str
    expires: datetime


@dataclass(frozen=True, slots=True)
class OutcomeCounts:
    """Cumulative outcomes of one version under one policy revision (one replica's, or summed)."""

    count: int = 0
    errors: int = 0
    fallbacks: int = 0
    latency_ms_sum: float = 0.0
    buckets: tuple[int, ...] = ()

    def __add__(self, other: OutcomeCounts) -> OutcomeCounts:
        size = max(len(self.buckets), len(other.buckets))
        a = self.buckets + (0,) * (size - len(self.buckets))
        b = other.buckets + (0,) * (size - len(other.buckets))
        return OutcomeCounts(
            count=self.count + other.count,
            errors=self.errors + other.errors,
            fallbacks=self.fallbacks + other.fallbacks,
            latency_ms_sum=self.latency_ms_sum + other.latency_ms_sum,
            buckets=tuple(x + y for x, y in zip(a, b, strict=True)),
        )


@dataclass(frozen=True, slots=True)
class ExposureRecord:
    """Which variant and version answered a request, and the label it predicted (for label feedback)."""

    request_id: str
    deployment: str
    policy_revision: int
    variant: str
    version: int
    label: str | None


@dataclass(frozen=True, slots=True)
class FeedbackRecord:
    """An observed outcome attributed to the variant that served the request or key."""

    deployment: str
    policy_revision: int
    variant: str
    version: int
    value: float
    request_id: str | None = None
    key: str | None = None


@dataclass(frozen=True, slots=True)
class ShadowRecord:
    """One request answered by the primary and mirrored to the shadow version."""

    deployment: str
    policy_revision: int
    primary_version: int
    shadow_version: int
    rows: int
    agreeing_rows: int | None
    mean_abs_diff: float | None
    max_abs_diff: float | None
    primary_ms: float
    shadow_ms: float | None
    shadow_error: str | None = None
