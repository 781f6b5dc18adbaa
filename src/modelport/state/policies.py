"""Policy revisions, rollout controller decisions and controller leases.

A deployment's policy is the newest row of ``policy_revisions`` for it (none: it serves its alias).
Every append bumps the state revision, so servers pick a change up within one poll. Writes that
depend on what is current (the controller advancing a step, an undo) take ``expect`` — the revision
id they read — and fail with ``RolloutConflict`` if someone changed the policy in between.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson
import sqlalchemy as sa

from modelport.errors import RolloutConflict
from modelport.state import tables
from modelport.state.records import DecisionRecord, Lease, PolicyRevision
from modelport.state.timestamps import aware, utcnow

if TYPE_CHECKING:
    from modelport.state.store import StateStore

__all__ = ["PolicyStore"]

_NO_EXPECTATION = -1


def _revision(row: sa.Row[Any]) -> PolicyRevision:
    return PolicyRevision(
        id=int(row.id),
        deployment=row.deployment,
        time=aware(row.time),
        actor=row.actor,
        kind=row.kind,
        policy=orjson.loads(row.policy),
        reason=row.reason,
        undoes=row.undoes,
    )


def _decision(row: sa.Row[Any]) -> DecisionRecord:
    return DecisionRecord(
        id=int(row.id),
        deployment=row.deployment,
        time=aware(row.time),
        policy_revision=int(row.policy_revision),
        action=row.action,
        reason=row.reason,
        numbers=orjson.loads(row.numbers),
    )


def _live(query: sa.Select[Any]) -> sa.Select[Any]:
    """Only revisions of the deployment as it exists now: a deleted and re-created one starts afresh."""
    t, d = tables.policy_revisions, tables.deployments
    return query.join(d, sa.and_(d.c.name == t.c.deployment, t.c.time >= d.c.created))


def _newest(conn: sa.Connection, deployment: str) -> PolicyRevision | None:
    t = tables.policy_revisions
    query = _live(sa.select(t)).where(t.c.deployment == deployment).order_by(t.c.id.desc()).limit(1)
    row = conn.execute(query).first()
    return None if row is None else _revision(row)


class PolicyStore:
    """The rollout part of the control plane; reach it as ``StateStore.policies``."""

    def __init__(self, store: StateStore, engine: sa.Engine) -> None:
        self._store = store
        self._engine = engine

    # -- policy revisions --------------------------------------------------------------------------

    def append(
        self,
        deployment: str,
        *,
        kind: str,
        policy: Mapping[str, Any],
        actor: str,
        reason: str | None = None,
        undoes: int | None = None,
        expect: int | None = _NO_EXPECTATION,
        now: datetime | None = None,
    ) -> PolicyRevision:
        """Make ``policy`` the deployment's current one. ``expect``: the current revision id (None: none yet)."""
        t = tables.policy_revisions
        time = now or utcnow()
        with self._store.locked(f"deployment:{deployment}") as tx:
            conn = tx.connection
            if expect != _NO_EXPECTATION:
                current = _newest(conn, deployment)
                current_id = None if current is None else current.id
                if current_id != expect:
                    raise RolloutConflict(
                        f"the policy of {deployment!r} changed meanwhile (revision {current_id}, expected {expect}); "
                        "look at `modelport deployment history` and retry"
                    )
            new_id = conn.execute(
                sa.insert(t)
                .values(
                    deployment=deployment,
                    time=time,
                    actor=actor,
                    kind=kind,
                    policy=orjson.dumps(dict(policy), option=orjson.OPT_SORT_KEYS).decode(),
                    reason=reason,
                    undoes=undoes,
                )
                .returning(t.c.id)
            ).scalar_one()
            tx.bump_revision()
        return PolicyRevision(
            id=int(new_id),
            deployment=deployment,
            time=time,
            actor=actor,
            kind=kind,
            policy=dict(policy),
            reason=reason,
            undoes=undoes,
        )

    def current(self, deployment: str) -> PolicyRevision | None:
        with self._engine.connect() as conn:
            return _newest(conn, deployment)

    def current_all(self) -> dict[str, PolicyRevision]:
        """Every deployment's current policy in one query (what a server reads when the revision moves)."""
        t = tables.policy_revisions
        newest = _live(sa.select(t.c.deployment, sa.func.max(t.c.id).label("id"))).group_by(t.c.deployment).subquery()
        query = sa.select(t).join(newest, t.c.id == newest.c.id)
        with self._engine.connect() as conn:
            return {r.deployment: _revision(r) for r in conn.execute(query)}

    def revisions(self, deployment: str) -> list[PolicyRevision]:
        t = tables.policy_revisions
        with self._engine.connect() as conn:
            rows = conn.execute(_live(sa.select(t)).where(t.c.deployment == deployment).order_by(t.c.id))
            return [_revision(r) for r in rows]

    def get(self, revision_id: int) -> PolicyRevision | None:
        t = tables.policy_revisions
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(t).where(t.c.id == revision_id)).first()
        return None if row is None else _revision(row)

    # -- controller decisions ----------------------------------------------------------------------

    def record_decision(
        self,
        deployment: str,
        *,
        policy_revision: int,
        action: str,
        reason: str,
        numbers: Mapping[str, Any],
        now: datetime | None = None,
    ) -> DecisionRecord:
        t = tables.rollout_decisions
        time = now or utcnow()
        encoded = orjson.dumps(dict(numbers), option=orjson.OPT_SORT_KEYS).decode()
        with self._engine.begin() as conn:
            new_id = conn.execute(
                sa.insert(t)
                .values(
                    deployment=deployment,
                    time=time,
                    policy_revision=policy_revision,
                    action=action,
                    reason=reason,
                    numbers=encoded,
                )
                .returning(t.c.id)
            ).scalar_one()
        return DecisionRecord(int(new_id), deployment, time, policy_revision, action, reason, orjson.loads(encoded))

    def decisions(self, deployment: str) -> list[DecisionRecord]:
        t = tables.rollout_decisions
        with self._engine.connect() as conn:
            rows = conn.execute(sa.select(t).where(t.c.deployment == deployment).order_by(t.c.id))
            return [_decision(r) for r in rows]

    # -- leases ------------------------------------------------------------------------------------

    def acquire_lease(self, name: str, holder: str, *, ttl_s: float, now: datetime | None = None) -> bool:
        """Take or renew the lease ``name``; True when ``holder`` has it until ``now + ttl_s``.

        A lease held by someone else is taken over only once it expired (its holder stopped renewing:
        it died or lost the database), so exactly one holder acts at a time.
        """
        t = tables.controller_leases
        time = now or utcnow()
        expires = time + timedelta(seconds=ttl_s)
        with self._store.locked(f"lease:{name}") as tx:
            conn = tx.connection
            row = conn.execute(sa.select(t).where(t.c.name == name)).first()
            if row is None:
                conn.execute(sa.insert(t).values(name=name, holder=holder, expires=expires))
                return True
            if row.holder != holder and aware(row.expires) > time:
                return False
            conn.execute(sa.update(t).where(t.c.name == name).values(holder=holder, expires=expires))
            return True

    def release_lease(self, name: str, holder: str) -> None:
        """Give the lease up at once (a clean shutdown), so another replica need not wait for expiry."""
        t = tables.controller_leases
        with self._store.locked(f"lease:{name}") as tx:
            tx.connection.execute(sa.delete(t).where(t.c.name == name, t.c.holder == holder))

    def lease(self, name: str) -> Lease | None:
        t = tables.controller_leases
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(t).where(t.c.name == name)).first()
        return None if row is None else Lease(row.name, row.holder, aware(row.expires))
