"""The state store's SQLAlchemy engine, picked by URL scheme, whose database failures are ``BackendError``.

SQLite (``sqlite:///PATH``) gets pysqlite's transaction control taken away so ``BEGIN IMMEDIATE`` works;
PostgreSQL (``postgresql://…``) runs on psycopg 3 with pre-ping. Every failure to reach or talk to the
database (refused connection, missing database, bad credentials, a lost connection) surfaces as one
``BackendError`` naming the store by its masked URL, so the CLI prints one ``error[backend_error]``
line (exit 7) and the server answers 503 instead of a driver traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from modelport.errors import BackendError
from modelport.urls import mask_url, mask_urls_in

__all__ = ["make_engine", "one_line", "shown_url", "sqlite_path"]


def shown_url(engine_or_url: sa.Engine | str) -> str:
    """The URL as the user wrote it (no ``+psycopg`` driver), password masked."""
    if isinstance(engine_or_url, str):
        return mask_url(engine_or_url)
    url = engine_or_url.url
    return url.set(drivername=url.get_backend_name()).render_as_string(hide_password=True)


def one_line(exc: BaseException) -> str:
    """A driver's message on one line (psycopg adds hints on further lines), passwords masked."""
    text = str(getattr(exc, "orig", None) or exc) or type(exc).__name__
    return mask_urls_in(" ".join(text.split()))


def sqlite_path(url: str) -> Path | None:
    """The file a ``sqlite:///PATH`` URL names, resolved; None for any other URL."""
    if not url.startswith("sqlite:///"):
        return None
    return Path(url.removeprefix("sqlite:///").split("?", 1)[0]).resolve()


def make_engine(url: str) -> sa.Engine:
    """An engine for ``url``; nothing is connected yet. A URL of another kind is a ``BackendError``."""
    if url.startswith("postgresql://"):
        engine = sa.create_engine("postgresql+psycopg://" + url.removeprefix("postgresql://"), pool_pre_ping=True)
    elif url.startswith("postgresql+psycopg://"):
        engine = sa.create_engine(url, pool_pre_ping=True)
    elif url.startswith("sqlite:///"):
        engine = _sqlite_engine(url)
    else:
        raise BackendError(
            f"unsupported state store URL {mask_url(url)!r}: use sqlite:///PATH or postgresql://USER@HOST/DATABASE"
        )
    _report_failures(engine)
    return engine


def _sqlite_engine(url: str) -> sa.Engine:
    folder = Path(url.removeprefix("sqlite:///")).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackendError(f"cannot create the folder of the state store {url!r}: {exc.strerror}") from exc
    engine = sa.create_engine(url, connect_args={"timeout": 30})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so BEGIN IMMEDIATE works (SQLAlchemy docs recipe).
        dbapi_conn.isolation_level = None
        dbapi_conn.execute("PRAGMA journal_mode=WAL")
        dbapi_conn.execute("PRAGMA busy_timeout=30000")

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _report_failures(engine: sa.Engine) -> None:
    shown = shown_url(engine)

    @sa.event.listens_for(engine, "handle_error")
    def _on_error(context: Any) -> None:
        # NB: a failed pre-ping is how the pool notices a dropped connection and reconnects; leave it be.
        if context.is_pre_ping:
            return
        if context.is_disconnect or isinstance(context.sqlalchemy_exception, sa.exc.OperationalError):
            raise BackendError(
                f"state store {shown}: {one_line(context.original_exception)}"
            ) from context.original_exception
