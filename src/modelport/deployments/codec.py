"""Policies from the JSON kept in policy revisions (validated again on the way in)."""

from __future__ import annotations

from typing import Any

from modelport.deployments.canary import CanaryPolicy, CanaryThresholds
from modelport.deployments.keys import DEFAULT_KEY_HEADER, KeySource
from modelport.deployments.policy import ABPolicy, BlueGreenPolicy, Policy, ShadowPolicy, SinglePolicy, Variant
from modelport.errors import InvalidRequest

__all__ = ["policy_from_json"]


def policy_from_json(data: dict[str, Any]) -> Policy:
    """Rebuild (and re-validate) a policy from its stored JSON."""
    try:
        kind = data["kind"]
        if kind == "single":
            return SinglePolicy()
        if kind == "blue-green":
            return BlueGreenPolicy(blue=data["blue"], green=data["green"], live=data["live"])
        if kind == "canary":
            return CanaryPolicy(
                stable=data["stable"],
                candidate=data["candidate"],
                salt=data["salt"],
                steps=tuple(float(s) for s in data["steps"]),
                step=data["step"],
                interval_s=float(data["interval_s"]),
                thresholds=CanaryThresholds(**data["thresholds"]),
                fallback=bool(data["fallback"]),
            )
        if kind == "ab":
            arms = tuple(Variant(a["name"], a["version"], float(a["weight"])) for a in data["arms"])
            return ABPolicy(
                arms=arms, salt=data["salt"], key=KeySource.parse(data.get("key", f"header:{DEFAULT_KEY_HEADER}"))
            )
        if kind == "shadow":
            return ShadowPolicy(
                primary=data["primary"], shadow=data["shadow"], salt=data["salt"], sample=float(data["sample"])
            )
    except (KeyError, TypeError) as exc:
        raise InvalidRequest(f"malformed {data.get('kind')!r} policy: {exc!r}") from exc
    raise InvalidRequest(f"unknown policy kind {data.get('kind')!r}")
