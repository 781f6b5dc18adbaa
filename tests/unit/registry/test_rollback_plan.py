from __future__ import annotations

from datetime import UTC, datetime

import pytest

from modelport.errors import NothingToRollBack
from modelport.registry.rollback import plan_rollback
from modelport.types import HistoryAction, HistoryEntry


def _entry(i: int, action: HistoryAction, frm: int | None, to: int | None, alias: str = "production") -> HistoryEntry:
    return HistoryEntry(i, datetime.now(UTC), "m", action, "me", alias, frm, to, None)


def test_each_rollback_undoes_the_newest_promotion_not_yet_undone() -> None:
    history = [_entry(1, "promote", None, 1), _entry(2, "promote", 1, 2), _entry(3, "promote", 2, 1)]
    first = plan_rollback(history, set(), "m", "production")
    assert (first.undoes.id, first.target_version) == (3, 2)
    second = plan_rollback(history, {3}, "m", "production")
    assert (second.undoes.id, second.target_version) == (2, 1)
    with pytest.raises(NothingToRollBack, match="nothing earlier"):
        plan_rollback(history, {3, 2}, "m", "production")


def test_a_promotion_after_rollbacks_becomes_the_new_top() -> None:
    history = [_entry(1, "promote", None, 1), _entry(2, "promote", 1, 2), _entry(4, "promote", 1, 3)]
    plan = plan_rollback(history, {2}, "m", "production")
    assert (plan.undoes.id, plan.target_version) == (4, 1)


def test_other_aliases_and_actions_are_ignored() -> None:
    history = [
        _entry(1, "register", None, 1, alias=""),
        _entry(2, "promote", None, 1, alias="staging"),
        _entry(3, "promote", 1, 2, alias="staging"),
        _entry(4, "promote", None, 1),
    ]
    assert plan_rollback(history, set(), "m", "staging").target_version == 1
    with pytest.raises(NothingToRollBack):
        plan_rollback(history, set(), "m", "production")


def test_no_promotion_at_all_is_nothing_to_roll_back() -> None:
    with pytest.raises(NothingToRollBack, match="no promotion"):
        plan_rollback([], set(), "m", "production")
