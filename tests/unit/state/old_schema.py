"""A state database exactly as modelport made it before migration 0003 (its own namespace).

Today's 0001 and 0002 scripts are run through Alembic's operations, then the revision is written
where the old migrator kept it: the shared-name ``alembic_version`` table.
"""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext

from modelport.state import tables as state_tables

__all__ = ["MLFLOW_REVISION", "build_old_database", "engine_for"]

_VERSIONS = Path(state_tables.__file__).with_name("migrations") / "versions"
MLFLOW_REVISION = "1b5f0d9ad7c1"  # the shape of MLflow's revision ids (hex), one of its real ones


def _script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, _VERSIONS / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def engine_for(url: str) -> sa.Engine:
    return sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def build_old_database(url: str, *, mlflow_row: bool = False) -> None:
    """The schema and version row exactly as modelport before 0003 left them, with some data."""
    engine = engine_for(url)
    with engine.begin() as conn:
        with Operations.context(MigrationContext.configure(conn, opts={"as_sql": False})):
            _script("0001_initial").upgrade()
            _script("0002_rollouts").upgrade()
        conn.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
        conn.execute(sa.text("INSERT INTO alembic_version VALUES ('0002')"))
        if mlflow_row:
            conn.execute(sa.text(f"INSERT INTO alembic_version VALUES ('{MLFLOW_REVISION}')"))
        now = datetime(2026, 1, 2, tzinfo=UTC)
        conn.execute(
            sa.text(
                "INSERT INTO history (time, model, action, actor, alias, to_version) "
                "VALUES (:t, 'credit_risk', 'promote', 'ana', 'production', 3)"
            ),
            {"t": now},
        )
        conn.execute(sa.text("INSERT INTO aliases VALUES ('credit_risk', 'production', 3)"))
        conn.execute(sa.text("INSERT INTO deployments VALUES ('credit', 'credit_risk', 'production', :t)"), {"t": now})
        conn.execute(sa.text("UPDATE revision SET value = 41 WHERE id = 1"))
        conn.execute(
            sa.text("INSERT INTO api_keys VALUES ('ci', 'admin', 'mp_abcdefgh', :h, :t, NULL)"),
            {"h": "0" * 64, "t": now},
        )
    engine.dispose()
