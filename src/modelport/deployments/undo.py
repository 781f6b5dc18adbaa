"""What ``rollback DEPLOYMENT`` undoes, decided from the recorded history (pure), and what it did.

The last change to what a deployment serves is either its newest policy revision not yet undone,
or the newest not-yet-undone promotion of the alias it follows — whichever came later. A canary's
step revisions belong to the canary: undoing one of them returns to the policy in force before the
canary started, never to an intermediate weight; undoing what ended a canary never resumes it: the
promotion (alias moved, then the policy back to single) is undone by rolling the alias back, an
abort by restoring the policy before the canary.

The plan reads each revision's policy as a value (``policy_from_json``), never its raw JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from modelport.deployments.canary import CanaryPolicy
from modelport.deployments.codec import policy_from_json
from modelport.deployments.policy import Policy, SinglePolicy
from modelport.state import PolicyRevision
from modelport.types import HistoryEntry

__all__ = ["PolicyUndone", "PromotionUndone", "UndoPlan", "Undone", "plan_undo"]


@dataclass(frozen=True, slots=True)
class UndoPlan:
    """Either ``alias_promotion`` (roll the alias back) or ``revision`` + ``restore`` (a policy to restore)."""

    revision: PolicyRevision | None = None
    restore: Policy | None = None
    alias_promotion: HistoryEntry | None = None


@dataclass(frozen=True, slots=True)
class PromotionUndone:
    """A rollback that moved the followed alias back: ``entry`` is the rollback's history entry."""

    entry: HistoryEntry

    def to_dict(self) -> dict[str, Any]:
        return {"undid": "promotion", "entry": self.entry.to_dict()}


@dataclass(frozen=True, slots=True)
class PolicyUndone:
    """A rollback that restored an earlier policy: ``revision`` was undone, ``now`` is in force."""

    revision: PolicyRevision
    now: PolicyRevision

    def to_dict(self) -> dict[str, Any]:
        return {"undid": "policy", "revision": self.revision.to_dict(), "now": self.now.to_dict()}


Undone = PromotionUndone | PolicyUndone


@dataclass(frozen=True, slots=True)
class _Step:
    revision: PolicyRevision
    policy: Policy

    def same_canary(self, other: _Step) -> bool:
        return (
            isinstance(self.policy, CanaryPolicy)
            and isinstance(other.policy, CanaryPolicy)
            and self.policy.salt == other.policy.salt
        )


def _rollout_start(steps: Sequence[_Step], index: int) -> int:
    """Index of the revision that started the canary ``steps[index]`` belongs to."""
    start = index
    while start > 0 and steps[index].same_canary(steps[start - 1]):
        start -= 1
    return start


def _restore_index(steps: Sequence[_Step], index: int) -> int:
    """Index of the revision whose policy undoing ``steps[index]`` restores (-1: the alias alone)."""
    before = _rollout_start(steps, index) - 1
    if before >= 0 and isinstance(steps[before].policy, CanaryPolicy):
        # A canary is a transient state (the controller would only resume it): skip past its start.
        before = _rollout_start(steps, before) - 1
    return before


def _ends_promoted_canary(steps: Sequence[_Step], index: int, promotion: HistoryEntry | None) -> bool:
    """True when ``steps[index]`` is the policy change that completed ``promotion`` of a canary.

    A canary's promotion moves the alias first and then returns the policy to ``single``; the two
    are one change to what the deployment serves, undone by rolling the alias back.
    """
    if promotion is None or index == 0 or not isinstance(steps[index].policy, SinglePolicy):
        return False
    before = steps[index - 1]
    return (
        isinstance(before.policy, CanaryPolicy)
        and before.policy.candidate == promotion.to_version
        and before.revision.time <= promotion.time <= steps[index].revision.time
    )


def plan_undo(
    revisions: Sequence[PolicyRevision],
    model_history: Sequence[HistoryEntry],
    undone_history_ids: set[int],
    alias: str,
) -> UndoPlan | None:
    """The change to undo, or None when there is nothing (the caller says so)."""
    steps = [_Step(r, policy_from_json(r.policy)) for r in revisions]
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
        if newer and not _ends_promoted_canary(steps, index, last_promotion):
            before = _restore_index(steps, index)
            restore = steps[before].policy if before >= 0 else SinglePolicy()
            return UndoPlan(revision=revision, restore=restore)
    return UndoPlan(alias_promotion=last_promotion)
