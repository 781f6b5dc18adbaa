"""Canary analysis as a pure function: outcomes + thresholds + step → advance, wait, promote or abort.

It never passes or fails blindly: below ``min_requests`` on the candidate it waits, whatever the
clock says (too little traffic proves nothing either way). With enough requests a breach aborts at
once — even before the step's interval is over — while advancing needs the interval to have passed.
Every decision carries the numbers that made it, for the deployment history.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from modelport.deployments.canary import CanaryPolicy
from modelport.state import OutcomeCounts

__all__ = ["LATENCY_BOUNDS_MS", "Decision", "VersionStats", "analyze_canary"]

# Upper bounds of the latency histogram buckets (ms); the last bucket is everything above.
LATENCY_BOUNDS_MS: tuple[float, ...] = (
    0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000, 5000, 10000,
)  # fmt: skip

Action = Literal["advance", "wait", "promote", "abort"]


@dataclass(frozen=True, slots=True)
class VersionStats:
    """Outcomes of one version during one step, with the derived rates."""

    counts: OutcomeCounts

    @property
    def requests(self) -> int:
        return self.counts.count

    @property
    def error_rate(self) -> float:
        return self.counts.errors / self.counts.count if self.counts.count else 0.0

    def quantile_ms(self, q: float) -> float | None:
        """Upper bound of the bucket holding the ``q`` quantile (conservative); None without data."""
        total = sum(self.counts.buckets)
        if total == 0:
            return None
        rank = q * total
        seen = 0
        for i, n in enumerate(self.counts.buckets):
            seen += n
            if seen >= rank and n:
                return LATENCY_BOUNDS_MS[i] if i < len(LATENCY_BOUNDS_MS) else float("inf")
        return float("inf")

    def to_json(self) -> dict[str, Any]:
        p99 = self.quantile_ms(0.99)
        return {
            "requests": self.requests,
            "errors": self.counts.errors,
            "fallbacks": self.counts.fallbacks,
            "error_rate": round(self.error_rate, 6),
            "p99_ms": p99 if p99 != float("inf") else f">{LATENCY_BOUNDS_MS[-1]:g}",
            "mean_ms": round(self.counts.latency_ms_sum / self.requests, 3) if self.requests else None,
        }


@dataclass(frozen=True, slots=True)
class Decision:
    """What the controller does next, why, and the numbers behind it."""

    action: Action
    reason: str
    numbers: dict[str, Any]


def analyze_canary(
    policy: CanaryPolicy, stable: OutcomeCounts, candidate: OutcomeCounts, *, elapsed_s: float
) -> Decision:
    """Judge the candidate at its current step against the thresholds and the stable version."""
    th = policy.thresholds
    cand, base = VersionStats(candidate), VersionStats(stable)
    numbers: dict[str, Any] = {
        "step": policy.step,
        "weight": policy.weight,
        "elapsed_s": round(elapsed_s, 3),
        "candidate": {"version": policy.candidate, **cand.to_json()},
        "stable": {"version": policy.stable, **base.to_json()},
        "thresholds": th.to_json(),
        "interval_s": policy.interval_s,
    }
    if cand.requests < th.min_requests:
        return Decision("wait", f"too few requests on the candidate: {cand.requests} < {th.min_requests}", numbers)
    breaches: list[str] = []
    if cand.error_rate > th.max_error_rate:
        breaches.append(f"error rate {cand.error_rate:.2%} > {th.max_error_rate:.2%}")
    p99 = cand.quantile_ms(0.99)
    if th.max_p99_ms is not None and p99 is not None and p99 > th.max_p99_ms:
        breaches.append(f"p99 {p99:g} ms > {th.max_p99_ms:g} ms")
    if th.max_error_rate_increase is not None and base.requests:
        increase = cand.error_rate - base.error_rate
        if increase > th.max_error_rate_increase:
            breaches.append(f"error rate {increase:.2%} above stable's > {th.max_error_rate_increase:.2%}")
    if breaches:
        return Decision("abort", "; ".join(breaches), numbers)
    if elapsed_s < policy.interval_s:
        return Decision("wait", f"healthy; step interval {elapsed_s:.0f}/{policy.interval_s:g} s", numbers)
    if policy.last_step:
        return Decision("promote", f"healthy at {policy.weight:g}% over {cand.requests} requests", numbers)
    nxt = policy.steps[policy.step + 1]
    return Decision("advance", f"healthy at {policy.weight:g}% over {cand.requests} requests: to {nxt:g}%", numbers)
