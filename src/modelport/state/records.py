"""The state store's rows as frozen values: deployments, API keys and the rollout tables.

Values only the state store produces live here; values the registry speaks too (``HistoryEntry``)
live in ``modelport.types`` (the rule is written there). The state layer knows policies as JSON,
not as policy classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

__all__ = [
    "ApiKey",
    "DecisionRecord",
    "Deployment",
    "ExposureRecord",
    "FeedbackRecord",
    "KeyScope",
    "Lease",
    "OutcomeCounts",
    "PolicyRevision",
    "ShadowRecord",
]


KeyScope = Literal["predict", "admin"]


@dataclass(frozen=True, slots=True)
class Deployment:
    """A named endpoint that follows one alias of one registered model."""

    name: str
    model: str
    alias: str
    created: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "model": self.model,
            "alias": self.alias,
            "created": self.created.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class ApiKey:
    """An API key as stored: never the secret, only its name, scope and a short public prefix."""

    name: str
    scope: KeyScope
    prefix: str
    created: datetime
    revoked: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "scope": self.scope,
            "prefix": self.prefix,
            "created": self.created.isoformat(),
            "revoked": self.revoked.isoformat() if self.revoked else None,
        }


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
