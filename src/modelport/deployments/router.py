"""Routing a request by its deployment's policy: what the data plane asks on every request.

``PolicyTable`` holds every deployment's current policy, refreshed by the server's follower when
the state revision moves (never read on the request path). ``route`` is then pure arithmetic:
hash the key, pick the variant, name the version that must answer, the version to retry on if it
fails (a canary with fallback), and the version a copy goes to (a shadow).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modelport.deployments.canary import CanaryPolicy
from modelport.deployments.codec import policy_from_json
from modelport.deployments.policy import Policy, SinglePolicy, Variant
from modelport.state import PolicyRevision, StateStore

__all__ = ["PolicyTable", "Route", "request_key"]

_SINGLE = SinglePolicy()


@dataclass(frozen=True, slots=True)
class Route:
    """Where one request goes. ``revision`` is the policy revision id (0: no policy ever set)."""

    deployment: str
    revision: int
    variant: str
    version: int
    fallback: int | None = None
    mirror: int | None = None


def request_key(policy: Policy, headers: Mapping[str, str], record: Mapping[str, Any] | None) -> str | None:
    """The sticky key the policy asks for, from a header (case-insensitive) or the first input record."""
    source = policy.key_source
    if source.kind == "header":
        wanted = source.name.lower()
        return next((v for k, v in headers.items() if k.lower() == wanted), None)
    if record is not None and record.get(source.name) is not None:
        return str(record[source.name])
    return None


class PolicyTable:
    """The current policy of every deployment, as this replica last read it."""

    def __init__(self) -> None:
        self._policies: dict[str, tuple[int, Policy]] = {}

    def refresh(self, store: StateStore) -> None:
        """Re-read every current policy (one query); call when the state revision moved."""
        self.load(store.policies.current_all())

    def load(self, revisions: Mapping[str, PolicyRevision]) -> None:
        self._policies = {name: (r.id, policy_from_json(r.policy)) for name, r in revisions.items()}

    def policy(self, deployment: str) -> tuple[int, Policy]:
        return self._policies.get(deployment, (0, _SINGLE))

    def versions(self, deployment: str, alias_version: int) -> set[int]:
        """Every version the deployment needs loaded now (variants, warm standby, shadow)."""
        _, policy = self.policy(deployment)
        return {_resolve(v, alias_version) for v in policy.variants}

    def route(self, deployment: str, alias_version: int, key: str) -> Route:
        """Route a request with sticky ``key`` (the request id when it has none)."""
        revision, policy = self.policy(deployment)
        variant = policy.choose(key)
        fallback = None
        if isinstance(policy, CanaryPolicy) and policy.fallback and variant.name == "canary":
            fallback = policy.stable
        mirror = policy.mirror(key)
        return Route(
            deployment=deployment,
            revision=revision,
            variant=variant.name,
            version=_resolve(variant, alias_version),
            fallback=fallback,
            mirror=None if mirror is None else _resolve(mirror, alias_version),
        )


def _resolve(variant: Variant, alias_version: int) -> int:
    return alias_version if variant.version is None else variant.version
