"""Shadow comparison: how a shadow version's answers differ from the primary's, per request and overall."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from modelport.runtime import PredictionResult
from modelport.state import ShadowRecord

__all__ = ["RowComparison", "ShadowReport", "compare_results", "summarize_shadow"]


@dataclass(frozen=True, slots=True)
class RowComparison:
    """One request's comparison: rows, rows with the same label, mean and max |Δ probability|."""

    rows: int
    agreeing_rows: int
    mean_abs_diff: float | None
    max_abs_diff: float | None


def compare_results(primary: PredictionResult, shadow: PredictionResult) -> RowComparison:
    """Compare two versions' predictions of the same rows (probabilities aligned by class)."""
    rows = primary.n_rows
    agreeing = int(np.sum(np.asarray(primary.predictions) == np.asarray(shadow.predictions)))
    mean_diff = max_diff = None
    p, s = primary.probabilities, shadow.probabilities
    if p is not None and s is not None and primary.classes and shadow.classes:
        common = [c for c in primary.classes if c in shadow.classes]
        if common and rows:
            pi = [primary.classes.index(c) for c in common]
            si = [shadow.classes.index(c) for c in common]
            diff = np.abs(np.asarray(p)[:, pi] - np.asarray(s)[:, si])
            mean_diff, max_diff = float(diff.mean()), float(diff.max())
    return RowComparison(rows, agreeing, mean_diff, max_diff)


def _latency(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"mean_ms": None, "p50_ms": None, "p99_ms": None}
    arr = np.asarray(values)
    return {
        "mean_ms": float(arr.mean()),
        "p50_ms": float(np.quantile(arr, 0.5)),
        "p99_ms": float(np.quantile(arr, 0.99)),
    }


@dataclass(frozen=True, slots=True)
class ShadowReport:
    """Agreement of labels, probability differences and latency of both versions."""

    primary_version: int | None
    shadow_version: int | None
    requests: int
    rows: int
    shadow_errors: int
    agreement: float | None
    mean_abs_diff: float | None
    max_abs_diff: float | None
    primary_latency: dict[str, float | None]
    shadow_latency: dict[str, float | None]

    def to_json(self) -> dict[str, Any]:
        return {
            "primary_version": self.primary_version,
            "shadow_version": self.shadow_version,
            "requests": self.requests,
            "rows": self.rows,
            "shadow_errors": self.shadow_errors,
            "agreement": self.agreement,
            "mean_abs_diff": self.mean_abs_diff,
            "max_abs_diff": self.max_abs_diff,
            "primary_latency": self.primary_latency,
            "shadow_latency": self.shadow_latency,
        }


def summarize_shadow(records: Sequence[ShadowRecord]) -> ShadowReport:
    """Aggregate the per-request records; the mean difference is weighted by rows."""
    ok = [r for r in records if r.shadow_error is None]
    compared_rows = sum(r.rows for r in ok if r.agreeing_rows is not None)
    agreeing = sum(r.agreeing_rows or 0 for r in ok)
    with_probs = [r for r in ok if r.mean_abs_diff is not None and r.max_abs_diff is not None]
    prob_rows = sum(r.rows for r in with_probs)
    return ShadowReport(
        primary_version=records[0].primary_version if records else None,
        shadow_version=records[0].shadow_version if records else None,
        requests=len(records),
        rows=sum(r.rows for r in records),
        shadow_errors=len(records) - len(ok),
        agreement=agreeing / compared_rows if compared_rows else None,
        mean_abs_diff=sum((r.mean_abs_diff or 0.0) * r.rows for r in with_probs) / prob_rows if prob_rows else None,
        max_abs_diff=max((r.max_abs_diff or 0.0 for r in with_probs), default=None),
        primary_latency=_latency([r.primary_ms for r in records]),
        shadow_latency=_latency([r.shadow_ms for r in ok if r.shadow_ms is not None]),
    )
