"""The rollout controller: steps every running canary, exactly one active per deployment.

Every server runs one; per deployment, only the holder of the lease ``rollout:<name>`` acts. The
holder renews the lease on each step; if it dies, the lease expires and another replica takes over
on its next step. A step reads the outcomes every replica flushed for the current policy revision
(so each canary step is judged on its own traffic), applies :func:`analyze_canary`, records the
decision with its numbers, and advances, promotes or aborts. Time comes from an injectable clock.

Everything the controller changes is recorded as ``rollout-controller`` (``CONTROLLER_ACTOR``): the
policy revisions it appends and the alias moves of the promotions it makes, decided here once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from modelport.deployments.analysis import Decision, analyze_canary
from modelport.deployments.canary import CanaryPolicy
from modelport.deployments.codec import policy_from_json
from modelport.deployments.rollouts import Rollouts
from modelport.errors import ModelportError, RolloutConflict
from modelport.registry import Registry
from modelport.state import OutcomeCounts, PolicyRevision, StateStore
from modelport.state.timestamps import utcnow

__all__ = ["CONTROLLER_ACTOR", "RolloutController"]

CONTROLLER_ACTOR = "rollout-controller"


class RolloutController:
    """Drive canaries forward from their recorded outcomes; call ``tick()`` about once a second."""

    def __init__(
        self,
        store: StateStore,
        registry: Registry,
        *,
        holder: str,
        lease_ttl_s: float = 10.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._rollouts = Rollouts(store, registry, actor=CONTROLLER_ACTOR)
        self._store = store
        self.holder = holder
        self._ttl = lease_ttl_s
        self._clock = clock

    def tick(self) -> dict[str, Decision]:
        """One step for every deployment running a canary; the decisions this replica made."""
        made: dict[str, Decision] = {}
        for name, revision in sorted(self._store.policies.current_all().items()):
            if revision.kind != "canary":
                continue
            decision = self.step(name, revision)
            if decision is not None:
                made[name] = decision
        return made

    def step(self, name: str, revision: PolicyRevision) -> Decision | None:
        """Judge and act on one deployment's canary; None when another replica holds the lease."""
        now = self._clock()
        if not self._store.policies.acquire_lease(f"rollout:{name}", self.holder, ttl_s=self._ttl, now=now):
            return None
        policy = policy_from_json(revision.policy)
        if not isinstance(policy, CanaryPolicy):
            return None
        totals = self._store.outcomes.totals(name, revision.id)
        decision = analyze_canary(
            policy,
            totals.get(policy.stable, OutcomeCounts()),
            totals.get(policy.candidate, OutcomeCounts()),
            elapsed_s=(now - revision.time).total_seconds(),
        )
        if decision.action == "wait" and not self._worth_recording(name, revision, policy, decision, now):
            return decision
        try:
            self._act(name, revision, policy, decision)
        except RolloutConflict:
            return None  # someone changed the policy since we read it: judge the new one next tick
        except ModelportError as exc:
            decision = Decision("wait", f"could not {decision.action}: {exc.message}", decision.numbers)
        self._store.policies.record_decision(
            name,
            policy_revision=revision.id,
            action=decision.action,
            reason=decision.reason,
            numbers=decision.numbers,
            now=now,
        )
        return decision

    def _worth_recording(
        self, name: str, revision: PolicyRevision, policy: CanaryPolicy, decision: Decision, now: datetime
    ) -> bool:
        # A wait is news only once the step could have moved on (interval over) and was held back
        # by too little traffic; recorded once per step so the history shows it without flooding.
        if (now - revision.time).total_seconds() < policy.interval_s:
            return False
        return not any(
            d.policy_revision == revision.id and d.action == "wait" for d in self._store.policies.decisions(name)
        )

    def _act(self, name: str, revision: PolicyRevision, policy: CanaryPolicy, decision: Decision) -> None:
        store = self._store.policies
        now = self._clock()
        if decision.action == "advance":
            nxt = policy.advanced()
            store.append(
                name,
                kind=nxt.kind,
                policy=nxt.to_json(),
                actor=self._rollouts.actor,
                reason=decision.reason,
                expect=revision.id,
                now=now,
            )
        elif decision.action == "promote":
            self._check_current(name, revision)
            self._rollouts.promote(name, reason=decision.reason)
        elif decision.action == "abort":
            self._check_current(name, revision)
            self._rollouts.abort(name, reason=f"canary aborted: {decision.reason}")

    def _check_current(self, name: str, revision: PolicyRevision) -> None:
        current = self._store.policies.current(name)
        if current is None or current.id != revision.id:
            raise RolloutConflict(f"the policy of {name!r} changed while it was being judged")

    def release(self) -> None:
        """Give up every lease this replica holds (clean shutdown)."""
        for name in self._store.policies.current_all():
            self._store.policies.release_lease(f"rollout:{name}", self.holder)
