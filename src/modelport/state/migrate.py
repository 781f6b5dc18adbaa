"""Bring a state database to the newest schema with Alembic, safely from several processes at once.

Several servers may start together against one fresh database; the upgrade runs under a lock
(PostgreSQL advisory lock, or a lock file next to a SQLite database) so exactly one applies it.
Alembic itself is imported only when an upgrade is due: the everyday check (is the database at the
head revision?) reads the scripts' revision ids and one row, which keeps every CLI call fast.
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

__all__ = ["HEAD_LOCK_ID", "upgrade_to_head"]

_MIGRATIONS = Path(__file__).with_name("migrations")
HEAD_LOCK_ID = 0x6D6F64656C706F72  # "modelpor": the advisory lock id of migrations


_REVISION = re.compile(r'^(down_revision|revision) = (?:"([^"]*)"|None)', re.MULTILINE)


def _config(connection: sa.Connection | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@cache
def head_revision() -> str:
    """The newest revision of the migration scripts: the one no other script revises."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for script in (_MIGRATIONS / "versions").glob("*.py"):
        for kind, value in _REVISION.findall(script.read_text(encoding="utf-8")):
            if value:
                (revisions if kind == "revision" else revised).add(value)
    heads = revisions - revised
    if len(heads) != 1:
        raise RuntimeError(f"the state migrations must have exactly one head, found {sorted(heads)}")
    return heads.pop()


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        found = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        return None if found is None else str(found)


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

        with engine.begin() as conn:
            command.upgrade(_config(conn), "head")
