"""What ``rollback DEPLOYMENT`` undoes, decided from the recorded history (pure).

The last change to what a deployment serves is either its newest policy revision not yet undone,
or the newest not-yet-undone promotion of the alias it follows — whichever came later. A canary's
step revisions belong to the canary: undoing one of them returns to the policy in force before the
canary started, never to an intermediate weight; undoing what ended a canary never resumes it: the
promotion (alias moved, then the policy back to single) is undone by rolling the alias back, an
abort by restoring the policy before the canary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from modelport.state import PolicyRevision
from modelport.types import HistoryEntry

__all__ = ["UndoPlan", "plan_undo"]


@dataclass(frozen=True, slots=True)
class UndoPlan:
    """Either ``alias_promotion`` (roll the alias back) or ``revision`` + ``restore`` (a policy to restore)."""

    revision: PolicyRevision | None = None
    restore: dict[str, Any] | None = None
    alias_promotion: HistoryEntry | None = None


def _rollout_start(revisions: Sequence[PolicyRevision], index: int) -> int:
    """Index of the revision that started the canary ``revisions[index]`` belongs to."""
    salt = revisions[index].policy.get("salt")
    start = index
    while (
        start > 0
        and revisions[index].kind == "canary"
        and revisions[start - 1].kind == "canary"
        and revisions[start - 1].policy.get("salt") == salt
    ):
        start -= 1
    return start


def _restore_index(revisions: Sequence[PolicyRevision], index: int) -> int:
    """Index of the revision whose policy undoing ``revisions[index]`` restores (-1: the alias alone)."""
    before = _rollout_start(revisions, index) - 1
    if before >= 0 and revisions[before].kind == "canary":
        # A canary is a transient state (the controller would only resume it): skip past its start.
        before = _rollout_start(revisions, before) - 1
    return before


def _ends_promoted_canary(revisions: Sequence[PolicyRevision], index: int, promotion: HistoryEntry | None) -> bool:
    """True when ``revisions[index]`` is the policy change that completed ``promotion`` of a canary.

    A canary's promotion moves the alias first and then returns the policy to ``single``; the two
    are one change to what the deployment serves, undone by rolling the alias back.
    """
    if promotion is None or index == 0 or revisions[index].kind != "single":
        return False
    before = revisions[index - 1]
    return (
        before.kind == "canary"
        and before.policy.get("candidate") == promotion.to_version
        and before.time <= promotion.time <= revisions[index].time
    )


def plan_undo(
    revisions: Sequence[PolicyRevision],
    model_history: Sequence[HistoryEntry],
    undone_history_ids: set[int],
    alias: str,
) -> UndoPlan | None:
    """The change to undo, or None when there is nothing (the caller says so)."""
    undone_revisions = {r.undoes for r in revisions if r.undoes is not None}
    candidates = [i for i, r in enumerate(revisions) if r.undoes is None and r.id not in undone_revisions]
    promotions = [
        e for e in model_history if e.action == "promote" and e.alias == alias and e.id not in undone_history_ids
    ]
    last_promotion = promotions[-1] if promotions and promotions[-1].from_version is not None else None
    if not candidates and last_promotion is None:
        return None
    if candidates:
        index = candidates[-1]
        revision = revisions[index]
        newer = last_promotion is None or revision.time > last_promotion.time
        if newer and not _ends_promoted_canary(revisions, index, last_promotion):
            before = _restore_index(revisions, index)
            restore = revisions[before].policy if before >= 0 else {"kind": "single"}
            return UndoPlan(revision=revision, restore=restore)
    return UndoPlan(alias_promotion=last_promotion)
