"""Upgrading a state database made before modelport had its own namespace (migrations 0001 and 0002,
revision kept in the shared-name ``alembic_version``), on SQLite and PostgreSQL (see ``old_schema``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from modelport.state import StateStore
from modelport.state import tables as state_tables
from modelport.state.migrate import VERSION_TABLE
from tests.conftest import PostgresDatabases
from tests.unit.state.old_schema import MLFLOW_REVISION, build_old_database, engine_for


def _url(kind: str, tmp_path: Path, postgres: PostgresDatabases) -> str:
    return f"sqlite:///{tmp_path / 'state.db'}" if kind == "sqlite" else postgres.create()


@pytest.fixture(params=["sqlite", "postgresql"])
def old_url(request: pytest.FixtureRequest, tmp_path: Path, postgres: PostgresDatabases) -> str:
    url = _url(request.param, tmp_path, postgres)
    build_old_database(url)
    return url


def _table_names(url: str) -> set[str]:
    engine = engine_for(url)
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
    engine = engine_for(url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all() == [MLFLOW_REVISION]
        assert conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar_one() == "0005"
    engine.dispose()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_an_mlflow_only_version_table_is_never_adopted(kind: str, tmp_path: Path, postgres: PostgresDatabases) -> None:
    url = _url(kind, tmp_path, postgres)
    engine = engine_for(url)
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
