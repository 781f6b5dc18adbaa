"""modelport's own state (history, alias records, deployments, API keys) in SQLite or PostgreSQL.

The backend is picked by the URL scheme, like MLflow's registry stores. Writers that must not
interleave (two promotes of one model) run inside ``locked(key)``: a PostgreSQL transaction-level
advisory lock, or ``BEGIN IMMEDIATE`` on SQLite, so the check-then-write sequence is serialized
across processes and machines.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa

from modelport.errors import AlreadyExists, BackendError, DeploymentNotFound, NotFound
from modelport.settings import Settings
from modelport.state import api_keys, tables
from modelport.state.compiled import CompiledTable
from modelport.state.drift import DriftCountStore
from modelport.state.engine import make_engine, sqlite_path
from modelport.state.migrate import upgrade_to_head
from modelport.state.outcomes import OutcomeStore
from modelport.state.policies import PolicyStore
from modelport.state.records import ApiKey, Deployment, KeyScope
from modelport.state.timestamps import aware, utcnow
from modelport.types import HistoryAction, HistoryEntry

if TYPE_CHECKING:
    from modelport.state.listener import RevisionListener

__all__ = ["StateStore", "StateTransaction"]


def _history_entry(row: sa.Row[Any]) -> HistoryEntry:
    return HistoryEntry(
        id=row.id,
        time=aware(row.time),
        model=row.model,
        action=cast(HistoryAction, row.action),
        actor=row.actor,
        alias=row.alias,
        from_version=row.from_version,
        to_version=row.to_version,
        reason=row.reason,
    )


def _deployment(row: sa.Row[Any]) -> Deployment:
    return Deployment(name=row.name, model=row.model, alias=row.alias, created=aware(row.created))


def _api_key(row: sa.Row[Any]) -> ApiKey:
    return ApiKey(
        name=row.name,
        scope=cast(KeyScope, row.scope),
        prefix=row.prefix,
        created=aware(row.created),
        revoked=aware(row.revoked) if row.revoked else None,
    )


class StateTransaction:
    """Reads and writes inside one serialized transaction (see ``StateStore.locked``)."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    @property
    def connection(self) -> sa.Connection:
        """The transaction's connection, for the other state modules' queries."""
        return self._conn

    def alias_version(self, model: str, alias: str) -> int | None:
        row = self._conn.execute(
            sa.select(tables.aliases.c.version).where(tables.aliases.c.model == model, tables.aliases.c.alias == alias)
        ).first()
        return None if row is None else int(row.version)

    def set_alias(self, model: str, alias: str, version: int | None) -> None:
        t = tables.aliases
        self._conn.execute(sa.delete(t).where(t.c.model == model, t.c.alias == alias))
        if version is not None:
            self._conn.execute(sa.insert(t).values(model=model, alias=alias, version=version))

    def history(self, model: str) -> list[HistoryEntry]:
        return _select_history(self._conn, model)

    def unlink_compiled(self, model: str, version: int) -> None:
        """A deleted version is no longer served from its compiled form (see ``CompiledTable.link``)."""
        t = tables.compiled_versions
        self._conn.execute(sa.delete(t).where(t.c.model == model, t.c.version == str(version)))

    def undone_ids(self, model: str) -> set[int]:
        t = tables.history
        rows = self._conn.execute(sa.select(t.c.undoes).where(t.c.model == model, t.c.undoes.is_not(None)))
        return {int(r.undoes) for r in rows}

    def append_history(
        self,
        *,
        model: str,
        action: HistoryAction,
        actor: str,
        alias: str | None = None,
        from_version: int | None = None,
        to_version: int | None = None,
        reason: str | None = None,
        undoes: int | None = None,
    ) -> HistoryEntry:
        """Append one entry and return it as stored."""
        time = utcnow()
        result = self._conn.execute(
            sa.insert(tables.history)
            .values(
                time=time,
                model=model,
                action=action,
                actor=actor,
                alias=alias,
                from_version=from_version,
                to_version=to_version,
                reason=reason,
                undoes=undoes,
            )
            .returning(tables.history.c.id)
        )
        return HistoryEntry(
            int(result.scalar_one()), time, model, action, actor, alias, from_version, to_version, reason
        )

    def bump_revision(self) -> None:
        """Move the counter every data plane follows (and, on PostgreSQL, wake their listeners)."""
        t = tables.revision
        self._conn.execute(sa.update(t).where(t.c.id == 1).values(value=t.c.value + 1))
        if self._conn.dialect.name == "postgresql":
            # Delivered at commit, so a listener never hears of a change it cannot read yet.
            self._conn.execute(sa.select(sa.func.pg_notify(tables.REVISION_CHANNEL, "")))


def _select_history(conn: sa.Connection, model: str | None) -> list[HistoryEntry]:
    t = tables.history
    query = sa.select(t).order_by(t.c.id)
    if model is not None:
        query = query.where(t.c.model == model)
    return [_history_entry(r) for r in conn.execute(query)]


class StateStore:
    """The control plane's own database. Build one per process with ``StateStore.open(settings)``."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    @classmethod
    def open(cls, settings: Settings) -> StateStore:
        """The store ``settings`` name. It may share a PostgreSQL database with the registry, not a SQLite file."""
        state, registry = sqlite_path(settings.resolved_state_uri), sqlite_path(settings.resolved_registry_uri)
        if state is not None and state == registry:
            # NB: SQLite has one writer at a time, and a promote writes to MLflow while it holds the
            # state store's write lock (that lock is what serializes racing promotes): MLflow would wait
            # for a lock its own caller holds, then fail with "database is locked".
            raise BackendError(
                f"the registry and the state store cannot share the SQLite file {state}: "
                "give MODELPORT_STATE_URI a file of its own (or put both in one PostgreSQL database)"
            )
        return cls.from_url(settings.resolved_state_uri)

    @classmethod
    def from_url(cls, url: str) -> StateStore:
        """Open (and, when it lags, migrate) the store at ``url``; any failure is a ``BackendError``."""
        engine = make_engine(url)
        try:
            upgrade_to_head(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    @cached_property
    def policies(self) -> PolicyStore:
        """Policy revisions, rollout decisions and controller leases."""
        return PolicyStore(self, self._engine)

    @cached_property
    def outcomes(self) -> OutcomeStore:
        """Per-version outcome counters, exposures, feedback and shadow comparisons."""
        return OutcomeStore(self._engine)

    @cached_property
    def compiled(self) -> CompiledTable:
        """Compiled model versions (ONNX and parity verdicts) shared by every replica and batch job."""
        return CompiledTable(self._engine)

    @cached_property
    def drift(self) -> DriftCountStore:
        """Feature drift bin counts of every replica."""
        return DriftCountStore(self._engine)

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    def close(self) -> None:
        self._engine.dispose()

    @contextmanager
    def locked(self, key: str) -> Iterator[StateTransaction]:
        """One transaction that no other ``locked`` block with the same key (SQLite: any key) overlaps."""
        options: dict[str, Any] = {"sqlite_immediate": True} if self.dialect == "sqlite" else {}
        with self._engine.connect().execution_options(**options) as conn, conn.begin():
            if self.dialect == "postgresql":
                lock_id = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(lock_id)))
            yield StateTransaction(conn)

    # -- reads -------------------------------------------------------------------------------------

    def revision(self) -> int:
        """A counter bumped by every change data planes follow; cheap enough to poll twice a second."""
        with self._engine.connect() as conn:
            return int(conn.execute(sa.select(tables.revision.c.value).where(tables.revision.c.id == 1)).scalar_one())

    def revision_listener(self, on_change: Callable[[], None]) -> RevisionListener | None:
        """A listener calling ``on_change`` when the revision moves, not started; None on SQLite
        (no notifications there: followers poll ``revision()``)."""
        if self.dialect != "postgresql":
            return None
        from modelport.state.listener import RevisionListener  # psycopg only where it is used

        dsn = self._engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        return RevisionListener(dsn, on_change)

    def history(self, model: str | None = None) -> list[HistoryEntry]:
        with self._engine.connect() as conn:
            return _select_history(conn, model)

    def aliases(self, model: str) -> dict[str, int]:
        t = tables.aliases
        with self._engine.connect() as conn:
            rows = conn.execute(sa.select(t.c.alias, t.c.version).where(t.c.model == model))
            return {r.alias: int(r.version) for r in rows}

    # -- deployments -------------------------------------------------------------------------------

    def create_deployment(self, name: str, model: str, alias: str) -> Deployment:
        with self.locked(f"deployment:{name}") as tx:
            conn = tx.connection
            t = tables.deployments
            if conn.execute(sa.select(t.c.name).where(t.c.name == name)).first() is not None:
                raise AlreadyExists(f"deployment {name!r} already exists")
            created = utcnow()
            conn.execute(sa.insert(t).values(name=name, model=model, alias=alias, created=created))
            tx.bump_revision()
        return Deployment(name=name, model=model, alias=alias, created=created)

    def get_deployment(self, name: str) -> Deployment:
        t = tables.deployments
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(t).where(t.c.name == name)).first()
        if row is None:
            raise DeploymentNotFound(f"no deployment named {name!r} (see `modelport deployments`)")
        return _deployment(row)

    def list_deployments(self) -> list[Deployment]:
        t = tables.deployments
        with self._engine.connect() as conn:
            return [_deployment(r) for r in conn.execute(sa.select(t).order_by(t.c.name))]

    def delete_deployment(self, name: str) -> None:
        with self.locked(f"deployment:{name}") as tx:
            t = tables.deployments
            if tx.connection.execute(sa.delete(t).where(t.c.name == name)).rowcount == 0:
                raise DeploymentNotFound(f"no deployment named {name!r}")
            tx.bump_revision()

    # -- API keys ----------------------------------------------------------------------------------

    def create_api_key(self, name: str, scope: KeyScope) -> tuple[ApiKey, str]:
        """Store a new key; the returned token is shown once and never stored."""
        token = api_keys.new_token()
        key = ApiKey(name=name, scope=scope, prefix=token[: api_keys.PREFIX_LEN], created=utcnow())
        t = tables.api_keys
        with self.locked(f"key:{name}") as tx:
            if tx.connection.execute(sa.select(t.c.name).where(t.c.name == name)).first() is not None:
                raise AlreadyExists(f"an API key named {name!r} already exists")
            tx.connection.execute(
                sa.insert(t).values(
                    name=name,
                    scope=scope,
                    prefix=key.prefix,
                    key_hash=api_keys.hash_token(token),
                    created=key.created,
                )
            )
        return key, token

    def list_api_keys(self) -> list[ApiKey]:
        t = tables.api_keys
        with self._engine.connect() as conn:
            return [_api_key(r) for r in conn.execute(sa.select(t).order_by(t.c.name))]

    def revoke_api_key(self, name: str) -> ApiKey:
        t = tables.api_keys
        with self.locked(f"key:{name}") as tx:
            row = tx.connection.execute(sa.select(t).where(t.c.name == name)).first()
            if row is None:
                raise NotFound(f"no API key named {name!r}")
            if row.revoked is None:
                tx.connection.execute(sa.update(t).where(t.c.name == name).values(revoked=utcnow()))
            row = tx.connection.execute(sa.select(t).where(t.c.name == name)).one()
        return _api_key(row)

    def verify_api_key(self, token: str) -> ApiKey | None:
        """The live key this token belongs to, or None. Hashes are compared in constant time."""
        t = tables.api_keys
        with self._engine.connect() as conn:
            prefix = token[: api_keys.PREFIX_LEN]
            rows = conn.execute(sa.select(t).where(t.c.prefix == prefix, t.c.revoked.is_(None))).all()
        for row in rows:
            if api_keys.token_matches(token, row.key_hash):
                return _api_key(row)
        return None
