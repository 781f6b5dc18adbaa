"""Bring a state database to the newest schema with Alembic, safely from several processes at once.

Several servers may start together against one fresh database; the upgrade runs under a lock
(PostgreSQL advisory lock, or a lock file next to a SQLite database) so exactly one applies it.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

__all__ = ["HEAD_LOCK_ID", "upgrade_to_head"]

_MIGRATIONS = Path(__file__).with_name("migrations")
HEAD_LOCK_ID = 0x6D6F64656C706F72  # "modelpor": the advisory lock id of migrations


def _config(connection: sa.Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


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
        with engine.begin() as conn:
            command.upgrade(_config(conn), "head")
