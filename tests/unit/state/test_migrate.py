"""Upgrading a state database made before modelport had its own namespace (migrations 0001 and 0002,
revision kept in the shared-name ``alembic_version``), on SQLite and PostgreSQL.

The old database is built by running today's 0001 and 0002 scripts themselves through Alembic's
operations, then writing the revision where the old migrator wrote it.
"""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest
import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext

from modelport.state import StateStore
from modelport.state import tables as state_tables
from modelport.state.migrate import VERSION_TABLE
from tests.conftest import PostgresDatabases

_VERSIONS = Path(state_tables.__file__).with_name("migrations") / "versions"
MLFLOW_REVISION = "1b5f0d9ad7c1"  # the shape of MLflow's revision ids (hex), one of its real ones


def _script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, _VERSIONS / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _url(kind: str, tmp_path: Path, postgres: PostgresDatabases) -> str:
    return f"sqlite:///{tmp_path / 'state.db'}" if kind == "sqlite" else postgres.create()


def _engine(url: str) -> sa.Engine:
    return sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def build_old_database(url: str, *, mlflow_row: bool = False) -> None:
    """The schema and version row exactly as modelport before 0003 left them, with some data."""
    engine = _engine(url)
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
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def old_url(request: pytest.FixtureRequest, tmp_path: Path, postgres: PostgresDatabases) -> str:
    url = _url(request.param, tmp_path, postgres)
    build_old_database(url)
    return url


def _table_names(url: str) -> set[str]:
    engine = _engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_an_old_database_upgrades_in_place_and_keeps_its_data(old_url: str) -> None:
    store = StateStore.from_url(old_url)
    try:
        assert [(e.actor, e.to_version) for e in store.history("credit_risk")] == [("ana", 3)]
        assert store.aliases("credit_risk") == {"production": 3}
        assert [d.name for d in store.list_deployments()] == ["credit"]
        assert store.revision() == 41
        store.create_deployment("second", "credit_risk", "staging")  # the renamed sequences/keys still work
        with store.locked("model:credit_risk") as tx:
            entry = tx.append_history(model="credit_risk", action="rollback", actor="bo", to_version=2)
        assert entry.id == 2
    finally:
        store.close()
    names = _table_names(old_url)
    # Only modelport_* names remain: the old version table was ours alone, so it is gone.
    assert names == {t.name for t in state_tables.metadata.sorted_tables} | {VERSION_TABLE}


def test_mlflows_row_in_the_shared_version_table_is_left_alone(tmp_path: Path, postgres: PostgresDatabases) -> None:
    url = postgres.create()
    build_old_database(url, mlflow_row=True)
    StateStore.from_url(url).close()
    engine = _engine(url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all() == [MLFLOW_REVISION]
        assert conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar_one() == "0003"
    engine.dispose()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_an_mlflow_only_version_table_is_never_adopted(kind: str, tmp_path: Path, postgres: PostgresDatabases) -> None:
    url = _url(kind, tmp_path, postgres)
    engine = _engine(url)
    with engine.begin() as conn:  # what MLflow leaves in a database it initialised
        conn.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
        conn.execute(sa.text(f"INSERT INTO alembic_version VALUES ('{MLFLOW_REVISION}')"))
        conn.execute(sa.text("CREATE TABLE registered_models (name VARCHAR(256) PRIMARY KEY)"))
    store = StateStore.from_url(url)
    assert store.revision() == 0
    store.close()
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all() == [MLFLOW_REVISION]
    assert "registered_models" in _table_names(url)
    engine.dispose()


def test_no_mlflow_table_has_a_name_modelport_uses() -> None:
    """MLflow's tables (registry, tracking, auth) and ours never collide, old names included."""
    import mlflow.store.model_registry.dbmodels.models
    import mlflow.store.tracking.dbmodels.models  # noqa: F401  (registers MLflow's tables)
    from mlflow.store.db.base_sql_model import Base

    mlflow_tables = set(Base.metadata.tables)
    assert {"registered_models", "model_versions", "experiments"} <= mlflow_tables
    ours = {t.name for t in state_tables.metadata.sorted_tables}
    old = {name.removeprefix("modelport_") for name in ours}
    assert not mlflow_tables & (ours | old)
    assert not [name for name in mlflow_tables if name.startswith("modelport_")]
