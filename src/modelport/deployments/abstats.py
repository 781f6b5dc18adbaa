"""A/B statistics of one variant against the control: difference, confidence interval, p-value, sample size.

Binary outcomes (conversions, correct predictions: every value 0 or 1) use the two-proportion
z-test — pooled standard error for the p-value, unpooled (Wald) for the interval. Other outcomes
use Welch's t-test (unequal variances, Welch-Satterthwaite degrees of freedom). The sample size is
per variant, for a two-sided test at ``alpha`` with ``power`` to detect ``mde`` (an absolute
difference), using the control's observed rate or variance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist, fmean, variance
from typing import Any, Literal

from modelport.deployments._tdist import t_cdf, t_ppf

__all__ = ["Comparison", "compare_arms"]

_Z = NormalDist()
Test = Literal["two-proportion z-test", "Welch's t-test"]


@dataclass(frozen=True, slots=True)
class Comparison:
    """Treatment minus control, with the test that judged it."""

    test: Test
    control_mean: float
    treatment_mean: float
    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    statistic: float
    confidence: float
    needed_per_variant: int | None
    """Observations each variant needs to detect ``mde``; None when it cannot be estimated yet."""

    def to_json(self) -> dict[str, Any]:
        return {
            "test": self.test,
            "control_mean": self.control_mean,
            "treatment_mean": self.treatment_mean,
            "difference": self.difference,
            "ci": [self.ci_low, self.ci_high],
            "confidence": self.confidence,
            "p_value": self.p_value,
            "statistic": self.statistic,
            "needed_per_variant": self.needed_per_variant,
        }


def _is_binary(values: Sequence[float]) -> bool:
    return all(v in (0.0, 1.0) for v in values)


def _proportions(
    control: Sequence[float], treatment: Sequence[float], alpha: float, power: float, mde: float | None
) -> Comparison:
    n1, n2 = len(control), len(treatment)
    p1, p2 = sum(control) / n1, sum(treatment) / n2
    diff = p2 - p1
    pooled = (sum(control) + sum(treatment)) / (n1 + n2)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = diff / se_pooled if se_pooled > 0 else 0.0
    p_value = 2 * (1 - _Z.cdf(abs(z))) if se_pooled > 0 else 1.0
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    half = _Z.inv_cdf(1 - alpha / 2) * se
    needed = None
    if mde and 0 < p1 + mde < 1:
        # Standard formula: pooled variance under H0, separate variances under H1.
        q = p1 + mde
        bar = (p1 + q) / 2
        num = _Z.inv_cdf(1 - alpha / 2) * math.sqrt(2 * bar * (1 - bar)) + _Z.inv_cdf(power) * math.sqrt(
            p1 * (1 - p1) + q * (1 - q)
        )
        needed = math.ceil((num / mde) ** 2)
    return Comparison("two-proportion z-test", p1, p2, diff, diff - half, diff + half, p_value, z, 1 - alpha, needed)


def _welch(
    control: Sequence[float], treatment: Sequence[float], alpha: float, power: float, mde: float | None
) -> Comparison:
    n1, n2 = len(control), len(treatment)
    m1, m2 = fmean(control), fmean(treatment)
    v1, v2 = variance(control), variance(treatment)
    se2 = v1 / n1 + v2 / n2
    diff = m2 - m1
    if se2 == 0:
        return Comparison("Welch's t-test", m1, m2, diff, diff, diff, 1.0 if diff == 0 else 0.0, 0.0, 1 - alpha, None)
    se = math.sqrt(se2)
    df = se2**2 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1))
    t = diff / se
    p_value = 2 * (1 - t_cdf(abs(t), df))
    half = t_ppf(1 - alpha / 2, df) * se
    needed = None
    if mde and v1 > 0:
        needed = math.ceil(2 * v1 * ((_Z.inv_cdf(1 - alpha / 2) + _Z.inv_cdf(power)) / mde) ** 2)
    return Comparison("Welch's t-test", m1, m2, diff, diff - half, diff + half, p_value, t, 1 - alpha, needed)


def compare_arms(
    control: Sequence[float],
    treatment: Sequence[float],
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    mde: float | None = None,
) -> Comparison | None:
    """Compare two variants' outcomes; None until each has at least two observations."""
    if len(control) < 2 or len(treatment) < 2:
        return None
    if _is_binary(control) and _is_binary(treatment):
        return _proportions(control, treatment, alpha, power, mde)
    return _welch(control, treatment, alpha, power, mde)
