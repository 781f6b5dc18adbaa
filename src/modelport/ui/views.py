"""What each dashboard page shows, read from the control plane, this node's data plane and the traffic sampler.

Values only: no HTML here (``pages.py`` renders them) and no web framework (``serving/ui_api.py``
serves them). Blocking reads (the state store, the MLflow registry): call these in a thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from modelport.deployments import (
    Policy,
    Rollouts,
    ab_report,
    deployment_history,
    policy_from_json,
    rollout_status,
    shadow_report,
)
from modelport.deployments.policy import SinglePolicy
from modelport.errors import NotFound
from modelport.inference.describe import pool_status
from modelport.ui.traffic import TrafficSampler, VersionTraffic

if TYPE_CHECKING:
    from modelport.deployments import Decision
    from modelport.inference import DataPlane
    from modelport.state import Deployment, PolicyRevision
    from modelport.types import HistoryEntry, ModelVersionInfo

__all__ = ["DeploymentPage", "DeploymentRow", "ModelPage", "Share", "Views"]

WINDOW_S = 60.0
"""The rates of the overview: the last minute."""


@dataclass(frozen=True, slots=True)
class Share:
    """One version a deployment routes to, its share of traffic now and its traffic of the last minute."""

    variant: str
    version: int | None
    weight: float
    """Percent of requests it answers (a shadow answers none: it gets copies)."""
    mirrored: float | None
    """Fraction of requests copied to it (shadow only)."""
    traffic: VersionTraffic | None


@dataclass(frozen=True, slots=True)
class DeploymentRow:
    deployment: Deployment
    alias_version: int | None
    kind: str
    describe: str
    revision: PolicyRevision | None
    health: str
    """healthy / degraded / unhealthy on this server, or ``not served here``."""
    shares: tuple[Share, ...]


@dataclass(frozen=True, slots=True)
class DeploymentPage:
    row: DeploymentRow
    timeline: list[dict[str, Any]]
    """Newest first: policy revisions, controller decisions (with their numbers), alias moves,
    each in its ``--json`` shape (``deployment history --json``)."""
    analysis: Decision | None
    ab: dict[str, Any] | None
    """``ab report --json`` of the newest A/B test, if there ever was one."""
    shadow: dict[str, Any] | None
    """``shadow report --json`` of the newest shadow rollout, if there ever was one."""
    actions: tuple[str, ...]
    """The operations that make sense now (the admin API refuses the others anyway)."""


@dataclass(frozen=True, slots=True)
class ModelPage:
    name: str
    aliases: dict[str, int]
    versions: list[ModelVersionInfo]
    history: list[HistoryEntry]
    """Newest first."""
    deployments: list[Deployment]


def _shares(policy: Policy, alias_version: int | None, traffic: dict[int, VersionTraffic]) -> tuple[Share, ...]:
    out: list[Share] = []
    for variant in policy.variants:
        version = alias_version if variant.version is None else variant.version
        mirrored = policy.to_json().get("sample") if variant.name == "shadow" else None
        out.append(
            Share(variant.name, version, variant.weight, mirrored, None if version is None else traffic.get(version))
        )
    listed = {s.version for s in out}
    for version, seen in sorted(traffic.items()):
        if version not in listed and seen.requests:  # still answering in-flight work of an old policy
            out.append(Share("previous", version, 0.0, None, seen))
    return tuple(out)


class Views:
    """Builds the pages of one server from its rollouts core, data plane and traffic sampler."""

    def __init__(self, rollouts: Rollouts, plane: DataPlane, sampler: TrafficSampler) -> None:
        self.rollouts = rollouts
        self.store = rollouts.store
        self.plane = plane
        self.sampler = sampler

    def _health(self, name: str) -> str:
        pool = next((p for p in self.plane.pools if p.name == name), None)
        return "not served here" if pool is None else pool_status(pool)

    def _row(self, deployment: Deployment, revision: PolicyRevision | None) -> DeploymentRow:
        policy = SinglePolicy() if revision is None else policy_from_json(revision.policy)
        alias_version = self.store.aliases(deployment.model).get(deployment.alias)
        traffic = self.sampler.window(deployment.name, WINDOW_S)
        return DeploymentRow(
            deployment=deployment,
            alias_version=alias_version,
            kind=policy.kind,
            describe=policy.describe(),
            revision=revision,
            health=self._health(deployment.name),
            shares=_shares(policy, alias_version, traffic),
        )

    def overview(self) -> list[DeploymentRow]:
        current = self.store.policies.current_all()
        return [self._row(d, current.get(d.name)) for d in self.store.list_deployments()]

    def deployment(self, name: str, *, timeline: bool = True, reports: bool = True) -> DeploymentPage:
        """The deployment page; a part left out (``timeline``, ``reports``) is empty and costs no query."""
        deployment = self.rollouts.deployment(name)
        row = self._row(deployment, self.store.policies.current(name))
        events = deployment_history(self.rollouts, name) if timeline else []
        return DeploymentPage(
            row=row,
            timeline=[e.to_dict() for e in reversed(events)],
            analysis=rollout_status(self.rollouts, name).analysis,
            ab=_or_none(lambda: ab_report(self.rollouts, name).to_dict()) if reports else None,
            shadow=_or_none(lambda: shadow_report(self.rollouts, name).to_dict()) if reports else None,
            actions=_actions(row.kind),
        )

    def model(self, name: str) -> ModelPage:
        registry = self.rollouts.registry
        versions = registry.versions(name)  # raises ModelNotFound first
        return ModelPage(
            name=name,
            aliases=self.store.aliases(name),
            versions=sorted(versions, key=lambda v: v.version, reverse=True),
            history=list(reversed(registry.history(name))),
            deployments=[d for d in self.store.list_deployments() if d.model == name],
        )

    def traffic(self, name: str) -> dict[str, Any]:
        """The chart data of one deployment: per version, requests/s, error rate and p99 over time."""
        self.rollouts.deployment(name)
        points = self.sampler.points(name)
        versions = sorted({v for p in points for v in p.versions})
        return {
            "deployment": name,
            "time": [round(p.time, 3) for p in points],
            "versions": [
                {
                    "version": v,
                    "rps": [_num(p.versions[v].rps) if v in p.versions else None for p in points],
                    "error_rate": [_num(p.versions[v].error_rate) if v in p.versions else None for p in points],
                    "p99_ms": [_num(p.versions[v].p99_ms) if v in p.versions else None for p in points],
                }
                for v in versions
            ],
        }


def _num(value: float | None) -> float | None:
    # JSON has no infinity: a p99 above the last latency bucket is drawn at that bound.
    if value is None:
        return None
    return round(min(value, 1e4), 6)


def _or_none(read: Callable[[], dict[str, Any]]) -> dict[str, Any] | None:
    try:
        return read()
    except NotFound:
        return None


def _actions(kind: str) -> tuple[str, ...]:
    if kind == "canary":
        return ("promote", "abort", "rollback")
    if kind == "blue-green":
        return ("switch", "abort", "rollback")
    if kind in ("ab", "shadow"):
        return ("abort", "rollback")
    return ("rollback",)


def age(when: datetime, now: datetime) -> str:
    """``42 s ago`` / ``3 min ago`` / ``2 h ago`` / ``5 d ago``."""
    seconds = max(0.0, (now - when).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return f"{int(seconds)} s ago"
