"""Bring a state database to the newest schema with Alembic, safely from several processes at once.

Several servers may start together against one fresh database; the upgrade runs under a lock
(PostgreSQL advisory lock, or a lock file next to a SQLite database) so exactly one applies it.
Alembic itself is imported only when an upgrade is due: the everyday check (is the database at the
head revision?) reads the scripts' revision ids and one row, which keeps every CLI call fast.

modelport keeps its revision in ``modelport_alembic_version``, never in Alembic's default
``alembic_version``, which belongs to MLflow when registry and state share a database. Databases made
before migration 0003 kept it in ``alembic_version``; ``_adopt_legacy_version`` moves it over (only
when the row there is one of ours *and* our old tables exist) before the upgrade, in one transaction.
"""

from __future__ import annotations

import fcntl
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from modelport.errors import BackendError
from modelport.state.engine import one_line, shown_url

__all__ = ["HEAD_LOCK_ID", "VERSION_TABLE", "upgrade_to_head"]

_MIGRATIONS = Path(__file__).with_name("migrations")
HEAD_LOCK_ID = 0x6D6F64656C706F72  # "modelpor": the advisory lock id of migrations
VERSION_TABLE = "modelport_alembic_version"
_LEGACY_VERSION_TABLE = "alembic_version"  # shared with MLflow: touch only our own row
_LEGACY_TABLES = ("history", "aliases", "deployments", "api_keys", "revision")  # what 0001 made


_REVISION = re.compile(r'^(down_revision|revision) = (?:"([^"]*)"|None)', re.MULTILINE)


def _config(connection: sa.Connection | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@cache
def _scripts() -> tuple[frozenset[str], frozenset[str]]:
    """(every revision id of the migration scripts, the ids some script revises)."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for script in (_MIGRATIONS / "versions").glob("*.py"):
        for kind, value in _REVISION.findall(script.read_text(encoding="utf-8")):
            if value:
                (revisions if kind == "revision" else revised).add(value)
    return frozenset(revisions), frozenset(revised)


@cache
def head_revision() -> str:
    """The newest revision of the migration scripts: the one no other script revises."""
    revisions, revised = _scripts()
    heads = set(revisions - revised)
    if len(heads) != 1:
        raise RuntimeError(f"the state migrations must have exactly one head, found {sorted(heads)}")
    return heads.pop()


def current_revision(engine: sa.Engine) -> str | None:
    """The revision in ``modelport_alembic_version``; None for a fresh or a pre-0003 database."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table(VERSION_TABLE):
            return None
        found = conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
        return None if found is None else str(found)


def _adopt_legacy_version(conn: sa.Connection) -> None:
    """Move our revision out of the shared-name ``alembic_version`` of a database made before 0003.

    MLflow's row (a hex id such as ``1b5f0d9ad7c1``) and MLflow's table are left alone: only a row
    holding one of our revision ids, in a database that has our old tables, is ours to move.
    """
    inspector = sa.inspect(conn)
    if inspector.has_table(VERSION_TABLE) or not inspector.has_table(_LEGACY_VERSION_TABLE):
        return
    if not all(inspector.has_table(name) for name in _LEGACY_TABLES):
        return
    legacy = sa.table(_LEGACY_VERSION_TABLE, sa.column("version_num", sa.String(32)))
    ours = [v for v in conn.execute(sa.select(legacy.c.version_num)).scalars() if v in _scripts()[0]]
    if len(ours) != 1:
        return
    version = sa.Table(  # the same shape Alembic gives its version table
        VERSION_TABLE,
        sa.MetaData(),
        sa.Column("version_num", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("version_num", name=f"{VERSION_TABLE}_pkc"),
    )
    version.create(conn)
    conn.execute(sa.insert(version).values(version_num=ours[0]))
    conn.execute(sa.delete(legacy).where(legacy.c.version_num == ours[0]))
    if conn.execute(sa.select(sa.func.count()).select_from(legacy)).scalar_one() == 0:
        sa.Table(_LEGACY_VERSION_TABLE, sa.MetaData()).drop(conn)


@contextmanager
def _migration_lock(engine: sa.Engine) -> Iterator[None]:
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(sa.select(sa.func.pg_advisory_lock(HEAD_LOCK_ID)))
            try:
                yield
            finally:
                conn.execute(sa.select(sa.func.pg_advisory_unlock(HEAD_LOCK_ID)))
                conn.commit()
    elif engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        lock_path = Path(str(engine.url.database) + ".migrate-lock")
        with lock_path.open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
    else:
        yield


def upgrade_to_head(engine: sa.Engine) -> None:
    """Apply every migration the database lacks; a no-op (one cheap query) when it is current."""
    head = head_revision()
    if current_revision(engine) == head:
        return
    with _migration_lock(engine):
        if current_revision(engine) == head:  # another process did it while we waited
            return
        from alembic import command
        from alembic.util.exc import CommandError

        try:
            with engine.begin() as conn:
                _adopt_legacy_version(conn)
                command.upgrade(_config(conn), "head")
        except (sa.exc.SQLAlchemyError, CommandError, BackendError) as exc:
            # A driver error may already be a BackendError (see modelport.state.engine): name its cause.
            cause = exc.__cause__ if isinstance(exc, BackendError) and exc.__cause__ is not None else exc
            raise BackendError(
                f"cannot upgrade the state store at {shown_url(engine)} to revision {head}: {one_line(cause)}"
            ) from exc
