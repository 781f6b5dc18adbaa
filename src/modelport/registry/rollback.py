"""Which version a rollback returns an alias to, read from the recorded history (pure).

Every promotion of an alias pushes onto a stack; every rollback undoes the newest promotion not
yet undone and returns the alias to where that promotion found it. So a second rollback goes one
step further back, and a promotion after rollbacks starts a new top. "The newest archived version"
is never consulted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from modelport.errors import NothingToRollBack
from modelport.types import HistoryEntry

__all__ = ["RollbackPlan", "plan_rollback"]


@dataclass(frozen=True, slots=True)
class RollbackPlan:
    undoes: HistoryEntry
    target_version: int


def plan_rollback(history: Iterable[HistoryEntry], undone_ids: set[int], model: str, alias: str) -> RollbackPlan:
    promotions = [e for e in history if e.action == "promote" and e.alias == alias and e.id not in undone_ids]
    if not promotions:
        raise NothingToRollBack(f"{model}@{alias} has no promotion to roll back")
    last = promotions[-1]
    if last.from_version is None:
        raise NothingToRollBack(
            f"{model}@{alias} pointed at nothing before version {last.to_version} was promoted: nothing earlier "
            "to roll back to (promote a version explicitly instead)"
        )
    return RollbackPlan(undoes=last, target_version=last.from_version)
