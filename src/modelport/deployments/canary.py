"""The canary policy: stable plus a candidate on a growing share of keys, and its thresholds."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from modelport.deployments.keys import bucket
from modelport.deployments.policy import Policy, Variant, require, require_version

__all__ = ["CanaryPolicy", "CanaryThresholds"]


@dataclass(frozen=True, slots=True)
class CanaryThresholds:
    """What a candidate must satisfy at each step; below ``min_requests`` the analysis waits."""

    max_error_rate: float = 0.01
    max_p99_ms: float | None = None
    min_requests: int = 200
    max_error_rate_increase: float | None = None
    """Most the candidate's error rate may exceed the stable version's (None: not compared)."""

    def __post_init__(self) -> None:
        require(0.0 <= self.max_error_rate <= 1.0, "max_error_rate must be within [0, 1]")
        require(self.max_p99_ms is None or self.max_p99_ms > 0, "max_p99_ms must be positive")
        require(self.min_requests >= 1, "min_requests must be at least 1")
        inc = self.max_error_rate_increase
        require(inc is None or 0.0 <= inc <= 1.0, "max_error_rate_increase must be within [0, 1]")

    def to_json(self) -> dict[str, Any]:
        return {
            "max_error_rate": self.max_error_rate,
            "max_p99_ms": self.max_p99_ms,
            "min_requests": self.min_requests,
            "max_error_rate_increase": self.max_error_rate_increase,
        }


@dataclass(frozen=True, slots=True)
class CanaryPolicy(Policy):
    """Stable plus a candidate on ``steps[step]`` percent of keys, advanced by the rollout controller."""

    kind: ClassVar[str] = "canary"
    stable: int
    candidate: int
    salt: str
    steps: tuple[float, ...] = (5.0, 25.0, 50.0, 100.0)
    step: int = 0
    interval_s: float = 60.0
    thresholds: CanaryThresholds = field(default_factory=CanaryThresholds)
    fallback: bool = True
    """Retry a failed candidate prediction on the stable version (the failure still counts)."""

    def __post_init__(self) -> None:
        require_version(self.stable, "stable")
        require_version(self.candidate, "candidate")
        require(self.stable != self.candidate, "the candidate must differ from the stable version")
        require(len(self.steps) >= 1, "a canary needs at least one step")
        require(all(0 < s <= 100 for s in self.steps), "steps are percentages within (0, 100]")
        require(list(self.steps) == sorted(set(self.steps)), "steps must be strictly increasing")
        require(self.steps[-1] == 100, "the last step must be 100 (the candidate is then promoted)")
        require(0 <= self.step < len(self.steps), f"step {self.step} is not one of the {len(self.steps)} steps")
        require(self.interval_s > 0, "interval must be positive")

    @property
    def weight(self) -> float:
        return self.steps[self.step]

    @property
    def last_step(self) -> bool:
        return self.step == len(self.steps) - 1

    @property
    def variants(self) -> tuple[Variant, ...]:
        return (Variant("stable", self.stable, 100.0 - self.weight), Variant("canary", self.candidate, self.weight))

    def choose(self, key: str) -> Variant:
        stable, canary = self.variants
        # Monotone in the weight: a key on the candidate at one step stays there at the next.
        return canary if bucket(self.salt, key) * 100.0 < self.weight else stable

    def advanced(self) -> CanaryPolicy:
        require(not self.last_step, "the canary is at its last step")
        return replace(self, step=self.step + 1)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "stable": self.stable,
            "candidate": self.candidate,
            "salt": self.salt,
            "steps": list(self.steps),
            "step": self.step,
            "interval_s": self.interval_s,
            "thresholds": self.thresholds.to_json(),
            "fallback": self.fallback,
        }
