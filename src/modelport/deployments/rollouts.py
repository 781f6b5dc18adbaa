"""The rollout operations every front end calls (CLI, admin API, controller): one transport-free core.

Each operation reads the deployment's current policy, builds the next one as a validated value and
appends it as a new policy revision with ``expect`` set to the revision it read, so two operators
(or an operator and the controller) can never silently overwrite each other.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from modelport.deployments.canary import CanaryPolicy, CanaryThresholds
from modelport.deployments.codec import policy_from_json
from modelport.deployments.keys import KeySource
from modelport.deployments.policy import ABPolicy, BlueGreenPolicy, Policy, ShadowPolicy, SinglePolicy, Variant
from modelport.deployments.undo import PolicyUndone, PromotionUndone, Undone, plan_undo
from modelport.errors import InvalidRequest, NothingToRollBack, RolloutConflict
from modelport.registry import Registry
from modelport.state import PolicyRevision, StateStore
from modelport.state.records import Deployment

__all__ = ["CurrentPolicy", "Rollouts"]

CurrentPolicy = tuple[PolicyRevision | None, Policy]


def _salt(deployment: str) -> str:
    # Drawn once when a rollout starts and stored with the policy: every replica then hashes alike.
    return f"{deployment}/{uuid.uuid4().hex[:12]}"


class Rollouts:
    """Start, switch, promote, abort and undo the traffic policies of deployments, as ``actor``.

    ``actor`` is who every change made through this object is recorded as, in the policy revisions
    and in the model history alike. The entry point decides it (the CLI's user, the admin API key's
    name, ``rollout-controller``) and hands it in; nothing below derives it.
    """

    def __init__(self, store: StateStore, registry: Registry, *, actor: str) -> None:
        self.store = store
        self.registry = registry
        self.actor = actor

    def acting_as(self, actor: str) -> Rollouts:
        """The same operations recorded as ``actor`` (the admin API makes one per request)."""
        return Rollouts(self.store, self.registry, actor=actor)

    # -- reads ---------------------------------------------------------------------------------------

    def deployment(self, name: str) -> Deployment:
        return self.store.get_deployment(name)

    def current(self, name: str) -> CurrentPolicy:
        """The deployment's current policy revision (None: never changed) and the policy it holds."""
        self.store.get_deployment(name)
        revision = self.store.policies.current(name)
        return revision, SinglePolicy() if revision is None else policy_from_json(revision.policy)

    def alias_version(self, deployment: Deployment) -> int:
        return self.registry.alias_version(deployment.model, deployment.alias)

    # -- writes --------------------------------------------------------------------------------------

    def _append(
        self,
        name: str,
        policy: Policy,
        expect: PolicyRevision | None,
        reason: str | None,
        *,
        undoes: int | None = None,
    ) -> PolicyRevision:
        return self.store.policies.append(
            name,
            kind=policy.kind,
            policy=policy.to_json(),
            actor=self.actor,
            reason=reason,
            expect=None if expect is None else expect.id,
            undoes=undoes,
        )

    def _idle(self, name: str, what: str) -> tuple[Deployment, PolicyRevision | None, int]:
        """The deployment, its current revision and stable version, refusing if a rollout is running."""
        deployment = self.deployment(name)
        revision, policy = self.current(name)
        if not isinstance(policy, SinglePolicy | BlueGreenPolicy):
            raise RolloutConflict(
                f"deployment {name!r} is running a {policy.kind} rollout ({policy.describe()}); "
                f"`modelport rollout abort {name}` (or promote it) before starting {what}"
            )
        live = policy.choose("").version if isinstance(policy, BlueGreenPolicy) else None
        return deployment, revision, live or self.alias_version(deployment)

    def _check_version(self, deployment: Deployment, version: int) -> None:
        self.registry.resolve(f"{deployment.model}/{version}")

    def canary(
        self,
        name: str,
        version: int,
        *,
        steps: Sequence[float] = (5, 25, 50, 100),
        interval_s: float = 60.0,
        thresholds: CanaryThresholds | None = None,
        fallback: bool = True,
        reason: str | None = None,
    ) -> PolicyRevision:
        """Start a progressive canary of ``version`` against what the deployment serves now."""
        deployment, revision, stable = self._idle(name, "a canary")
        self._check_version(deployment, version)
        policy = CanaryPolicy(
            stable=stable,
            candidate=version,
            salt=_salt(name),
            steps=tuple(float(s) for s in steps),
            interval_s=interval_s,
            thresholds=thresholds or CanaryThresholds(),
            fallback=fallback,
        )
        return self._append(name, policy, revision, reason)

    def ab(
        self,
        name: str,
        versions: Sequence[int],
        *,
        weights: Sequence[float] | None = None,
        key: KeySource | None = None,
        reason: str | None = None,
    ) -> PolicyRevision:
        """Start an A/B test: variants A, B, … serve ``versions`` with ``weights``, sticky by ``key``."""
        deployment, revision, _ = self._idle(name, "an A/B test")
        weights = list(weights) if weights is not None else [100.0 / len(versions)] * len(versions)
        if len(weights) != len(versions):
            raise InvalidRequest(f"{len(versions)} versions but {len(weights)} weights")
        if abs(sum(weights) - 100.0) > 1e-6:
            # Percentages, as the CLI and docs say: 30,30 would otherwise silently mean 50/50.
            raise InvalidRequest(f"weights are percentages and must sum to 100, got {sum(weights):g}")
        for v in versions:
            self._check_version(deployment, v)
        arms = tuple(
            Variant(chr(ord("A") + i), v, float(w)) for i, (v, w) in enumerate(zip(versions, weights, strict=True))
        )
        policy = ABPolicy(arms=arms, salt=_salt(name), key=key or KeySource())
        return self._append(name, policy, revision, reason)

    def shadow(self, name: str, version: int, *, sample: float = 1.0, reason: str | None = None) -> PolicyRevision:
        """Mirror traffic to ``version`` off the request path; users keep getting the current version."""
        deployment, revision, primary = self._idle(name, "a shadow")
        self._check_version(deployment, version)
        return self._append(name, ShadowPolicy(primary, version, _salt(name), sample), revision, reason)

    def bluegreen(self, name: str, version: int, *, reason: str | None = None) -> PolicyRevision:
        """Load ``version`` warm next to the live one (traffic stays put until ``switch``)."""
        deployment, revision, live = self._idle(name, "a blue-green pair")
        self._check_version(deployment, version)
        return self._append(name, BlueGreenPolicy(blue=live, green=version, live="blue"), revision, reason)

    def switch(self, name: str, *, reason: str | None = None) -> PolicyRevision:
        """Flip a blue-green deployment's traffic to the other (warm) version, atomically."""
        revision, policy = self.current(name)
        if not isinstance(policy, BlueGreenPolicy):
            raise RolloutConflict(f"deployment {name!r} is not blue-green (it is {policy.kind}): nothing to switch")
        return self._append(name, policy.switched(), revision, reason)

    def promote(self, name: str, *, reason: str | None = None) -> PolicyRevision:
        """Finish a canary or a blue-green now: the candidate (the live colour) becomes the alias's version
        and the policy ``single``."""
        revision, policy = self.current(name)
        if isinstance(policy, BlueGreenPolicy):
            return self._finish_bluegreen(name, revision, policy, reason)
        if not isinstance(policy, CanaryPolicy):
            raise RolloutConflict(f"deployment {name!r} has no canary or blue-green to promote (it is {policy.kind})")
        deployment = self.deployment(name)
        why = reason or f"canary v{policy.candidate} promoted"
        # Alias first, policy second. In between, the canary (whose variants name both versions)
        # routes as before; the other order let a replica read "single" while the alias was still
        # on the old version and send the candidate's users back to it. `rollback` treats the
        # policy change that follows a canary's promotion as part of it (see ``undo.py``).
        self.registry.promote(deployment.model, policy.candidate, actor=self.actor, alias=deployment.alias, reason=why)
        return self._append(name, SinglePolicy(), revision, why)

    def _finish_bluegreen(
        self, name: str, revision: PolicyRevision | None, policy: BlueGreenPolicy, reason: str | None
    ) -> PolicyRevision:
        # The live colour keeps every request while the alias moves to it; then "single" serves the alias.
        deployment = self.deployment(name)
        live = policy.choose("").version
        assert live is not None  # blue and green are versions, validated
        why = reason or f"blue-green finished on {policy.live} v{live}"
        if self.alias_version(deployment) != live:
            self.registry.promote(deployment.model, live, actor=self.actor, alias=deployment.alias, reason=why)
        return self._append(name, SinglePolicy(), revision, why)

    def abort(self, name: str, *, reason: str | None = None) -> PolicyRevision:
        """End any rollout at once: all traffic back to the version the alias points at."""
        revision, policy = self.current(name)
        if isinstance(policy, SinglePolicy):
            raise RolloutConflict(f"deployment {name!r} has no rollout to abort")
        return self._append(name, SinglePolicy(), revision, reason or f"{policy.kind} aborted")

    def rollback(self, name: str, *, reason: str | None = None) -> Undone:
        """Undo the last change to what the deployment serves; returns what was undone."""
        deployment = self.deployment(name)
        revisions = self.store.policies.revisions(name)
        history = self.store.history(deployment.model)
        undone = self._undone_history(deployment.model)
        plan = plan_undo(revisions, history, undone, deployment.alias)
        if plan is None:
            raise NothingToRollBack(f"deployment {name!r} has no change to roll back")
        if plan.alias_promotion is not None:
            entry = self.registry.rollback(deployment.model, actor=self.actor, alias=deployment.alias, reason=reason)
            return PromotionUndone(entry)
        assert plan.revision is not None
        assert plan.restore is not None
        new = self._append(name, plan.restore, revisions[-1], reason, undoes=plan.revision.id)
        return PolicyUndone(revision=plan.revision, now=new)

    def _undone_history(self, model: str) -> set[int]:
        with self.store.locked(f"model:{model}") as tx:
            return tx.undone_ids(model)
