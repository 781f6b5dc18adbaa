"""A/B statistics checked against an independent computation (scipy, statsmodels-free formulas)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from modelport.deployments import compare_arms
from modelport.deployments._tdist import t_cdf, t_ppf


def _binary(rng: np.random.Generator, n: int, p: float) -> list[float]:
    return [float(x) for x in rng.random(n) < p]


@pytest.mark.parametrize(("n1", "p1", "n2", "p2", "seed"), [(800, 0.10, 900, 0.13, 1), (5000, 0.3, 4000, 0.3, 2)])
def test_two_proportion_z_test_matches_scipy(n1: int, p1: float, n2: int, p2: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    control, treatment = _binary(rng, n1, p1), _binary(rng, n2, p2)
    result = compare_arms(control, treatment, mde=0.02)
    assert result is not None
    assert result.test == "two-proportion z-test"
    # Independent: a chi-square test of the 2x2 table without continuity correction is the pooled z-test squared.
    table = [[sum(control), n1 - sum(control)], [sum(treatment), n2 - sum(treatment)]]
    chi2, p_value, _, _ = stats.chi2_contingency(table, correction=False)
    assert result.p_value == pytest.approx(p_value, rel=1e-9)
    assert result.statistic**2 == pytest.approx(chi2, rel=1e-9)
    a, b = np.mean(control), np.mean(treatment)
    half = stats.norm.ppf(0.975) * math.sqrt(a * (1 - a) / n1 + b * (1 - b) / n2)
    assert (result.ci_low, result.ci_high) == pytest.approx((b - a - half, b - a + half), rel=1e-9)


def test_sample_size_for_a_minimum_detectable_effect_matches_the_textbook_formula() -> None:
    control = [1.0] * 100 + [0.0] * 900  # 10 %
    result = compare_arms(control, [1.0] * 12 + [0.0] * 88, mde=0.02)
    assert result is not None
    p1, p2 = 0.10, 0.12
    bar = (p1 + p2) / 2
    za, zb = stats.norm.ppf(0.975), stats.norm.ppf(0.8)
    expected = (za * math.sqrt(2 * bar * (1 - bar)) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / 0.02**2
    assert result.needed_per_variant == math.ceil(expected)
    assert 3800 < expected < 3900  # the classic 10 % → 12 % answer, about 3,841 per arm


def test_welch_t_test_matches_scipy_for_continuous_outcomes() -> None:
    rng = np.random.default_rng(7)
    control = list(rng.normal(10.0, 2.0, 300))
    treatment = list(rng.normal(10.4, 3.0, 250))
    result = compare_arms(control, treatment, alpha=0.1, mde=0.5)
    assert result is not None
    assert result.test == "Welch's t-test"
    expected = stats.ttest_ind(treatment, control, equal_var=False)
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-9)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-7)
    ci = expected.confidence_interval(confidence_level=0.9)
    assert (result.ci_low, result.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-7)
    v1 = np.var(control, ddof=1)
    assert result.needed_per_variant == math.ceil(2 * v1 * ((stats.norm.ppf(0.95) + stats.norm.ppf(0.8)) / 0.5) ** 2)


@pytest.mark.parametrize("df", [1.0, 2.5, 7.0, 30.0, 412.7])
@pytest.mark.parametrize("t", [-8.0, -2.1, -0.3, 0.0, 0.7, 1.96, 5.5])
def test_t_distribution_matches_scipy(t: float, df: float) -> None:
    assert t_cdf(t, df) == pytest.approx(stats.t.cdf(t, df), abs=1e-11)


@pytest.mark.parametrize("df", [1.0, 4.2, 60.0])
@pytest.mark.parametrize("p", [0.005, 0.05, 0.5, 0.95, 0.975])
def test_t_quantiles_match_scipy(p: float, df: float) -> None:
    assert t_ppf(p, df) == pytest.approx(stats.t.ppf(p, df), rel=1e-8, abs=1e-9)


def test_too_few_outcomes_compare_to_nothing_and_constant_outcomes_do_not_divide_by_zero() -> None:
    assert compare_arms([1.0], [0.0, 1.0]) is None
    same = compare_arms([1.0, 1.0, 1.0], [1.0, 1.0])
    assert same is not None
    assert same.p_value == 1.0
    constant = compare_arms([2.0, 2.0], [3.0, 3.0])
    assert constant is not None
    assert constant.difference == 1.0
