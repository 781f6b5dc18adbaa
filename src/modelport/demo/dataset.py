"""A deterministic synthetic credit-risk dataset: 20 numeric features and a default label.

The label comes from a fixed non-linear score plus noise, so a gradient-boosted model beats a
linear one by a visible margin, which is what the demo's two versions are meant to show.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["FEATURES", "TARGET", "make_credit_data"]

TARGET = "default"
FEATURES = (
    "age",
    "income",
    "credit_score",
    "employment_years",
    "debt_to_income",
    "loan_amount",
    "loan_term_months",
    "num_credit_lines",
    "num_late_payments",
    "credit_utilization",
    "months_since_delinquency",
    "savings_balance",
    "checking_balance",
    "num_dependents",
    "years_at_address",
    "num_inquiries_6m",
    "installment_rate",
    "existing_loans",
    "monthly_expenses",
    "collateral_value",
)


def make_credit_data(rows: int = 20_000, seed: int = 7) -> pd.DataFrame:
    """``rows`` applicants (all float64 features) and a 0/1 ``default`` column; same seed, same data."""
    rng = np.random.default_rng(seed)
    age = rng.integers(21, 75, rows).astype(float)
    income = np.round(rng.lognormal(10.9, 0.45, rows), 2)
    credit_score = np.clip(rng.normal(680, 70, rows), 300, 850).round()
    employment_years = np.clip(rng.gamma(2.0, 3.0, rows), 0, age - 18).round(1)
    debt_to_income = np.clip(rng.beta(2, 5, rows), 0, 1).round(3)
    loan_amount = np.round(rng.lognormal(9.6, 0.6, rows), 2)
    loan_term = rng.choice([12.0, 24.0, 36.0, 48.0, 60.0], rows)
    credit_lines = rng.poisson(5, rows).astype(float)
    late = rng.poisson(0.6, rows).astype(float)
    utilization = np.clip(rng.beta(2, 3, rows), 0, 1).round(3)
    since_delinquency = rng.integers(0, 120, rows).astype(float)
    savings = np.round(rng.lognormal(8.5, 1.1, rows), 2)
    checking = np.round(rng.lognormal(7.5, 1.0, rows), 2)
    dependents = rng.poisson(1.1, rows).astype(float)
    years_at_address = np.clip(rng.gamma(2.0, 2.5, rows), 0, 40).round(1)
    inquiries = rng.poisson(1.0, rows).astype(float)
    installment_rate = np.clip(loan_amount / loan_term / (income / 12), 0, 2).round(4)
    existing_loans = rng.poisson(0.8, rows).astype(float)
    expenses = np.round(income / 12 * rng.uniform(0.3, 0.9, rows), 2)
    collateral = np.round(loan_amount * rng.uniform(0, 1.5, rows), 2)

    score = 2.0 * (
        -0.012 * (credit_score - 680)
        + 3.0 * (debt_to_income > 0.45)
        + 0.8 * np.minimum(late, 3)
        + 2.2 * (utilization > 0.8)
        + 1.5 * (installment_rate > 0.6)
        - 0.06 * np.minimum(employment_years, 10)
        + 0.4 * (inquiries >= 3)
        - 1.2 * (collateral > loan_amount)
        + 1.5 * ((age < 30) & (income < 45_000))
        - 2.2
    )
    probability = 1.0 / (1.0 + np.exp(-score))
    label = (rng.uniform(0, 1, rows) < probability).astype(int)
    columns = [
        age,
        income,
        credit_score,
        employment_years,
        debt_to_income,
        loan_amount,
        loan_term,
        credit_lines,
        late,
        utilization,
        since_delinquency,
        savings,
        checking,
        dependents,
        years_at_address,
        inquiries,
        installment_rate,
        existing_loans,
        expenses,
        collateral,
    ]
    frame = pd.DataFrame(dict(zip(FEATURES, columns, strict=True)))
    frame[TARGET] = label
    return frame
