"""``RowBudget``: rows granted per second of a frozen clock."""

from __future__ import annotations

from modelport.inference.budget import RowBudget


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_grants_up_to_the_budget_then_nothing_until_the_next_second() -> None:
    clock = Clock()
    budget = RowBudget(10, clock=clock)
    assert [budget.take(4), budget.take(4), budget.take(4), budget.take(1)] == [4, 4, 2, 0]
    clock.now += 0.99
    assert budget.take(1) == 0
    clock.now += 0.02
    assert budget.take(25) == 10
