from __future__ import annotations

import pytest
import sqlalchemy as sa

from modelport.errors import AlreadyExists, DeploymentNotFound, NotFound
from modelport.state import StateStore
from modelport.state import tables as state_tables


def test_migrations_create_exactly_the_tables_the_queries_use(store: StateStore, database: sa.Engine) -> None:
    engine = database
    inspector = sa.inspect(engine)
    assert set(inspector.get_table_names()) == set(state_tables.metadata.tables) | {"modelport_alembic_version"}
    for table in state_tables.metadata.sorted_tables:
        reflected = {c["name"] for c in inspector.get_columns(table.name)}
        assert reflected == {c.name for c in table.columns}, table.name
        reflected_indexes = [i for i in inspector.get_indexes(table.name) if not i.get("duplicates_constraint")]
        indexes = {(i["name"], tuple(i["column_names"])) for i in reflected_indexes}
        assert indexes == {(i.name, tuple(c.name for c in i.columns)) for i in table.indexes}, table.name
    with engine.connect() as conn:
        assert conn.execute(sa.text("select version_num from modelport_alembic_version")).scalar_one() == "0005"
        if engine.dialect.name == "postgresql":  # constraints and sequences are named after the table too
            names = conn.execute(
                sa.text(
                    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = 'public'"
                )
            ).scalars()
            assert [name for name in names if not name.startswith(("modelport_", "ix_modelport_"))] == []


def test_opening_twice_is_a_no_op_and_keeps_data(store: StateStore, state_url: str) -> None:
    with store.locked("model:m") as tx:
        tx.append_history(model="m", action="register", actor="me", to_version=1)
    again = StateStore.from_url(state_url)
    assert [e.to_version for e in again.history("m")] == [1]
    again.close()


def test_history_is_ordered_and_revision_counts_changes(store: StateStore) -> None:
    start = store.revision()
    with store.locked("model:m") as tx:
        tx.append_history(model="m", action="promote", actor="a", alias="production", to_version=1)
        tx.set_alias("m", "production", 1)
        tx.bump_revision()
    with store.locked("model:m") as tx:
        tx.append_history(model="m", action="promote", actor="b", alias="production", from_version=1, to_version=2)
        tx.set_alias("m", "production", 2)
        tx.bump_revision()
    assert [(e.actor, e.from_version, e.to_version) for e in store.history("m")] == [
        ("a", None, 1),
        ("b", 1, 2),
    ]
    assert store.aliases("m") == {"production": 2}
    assert store.revision() == start + 2
    assert store.history("other") == []


def test_a_failed_locked_block_writes_nothing(store: StateStore) -> None:
    def fail_midway() -> None:
        with store.locked("model:m") as tx:
            tx.append_history(model="m", action="promote", actor="a", alias="production", to_version=1)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fail_midway()
    assert store.history("m") == []


def test_api_keys_are_stored_hashed_and_revocable(store: StateStore, database: sa.Engine) -> None:
    key, token = store.create_api_key("ci", "admin")
    assert token.startswith("mp_")
    assert len(token) > 40
    assert key.prefix == token[:11]
    with database.connect() as conn:
        stored = conn.execute(sa.select(state_tables.api_keys)).one()
    assert token not in tuple(str(v) for v in stored)
    verified = store.verify_api_key(token)
    assert verified is not None
    assert verified.scope == "admin"
    assert store.verify_api_key(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert store.verify_api_key("") is None
    with pytest.raises(AlreadyExists):
        store.create_api_key("ci", "predict")
    assert store.revoke_api_key("ci").revoked is not None
    assert store.verify_api_key(token) is None
    with pytest.raises(NotFound):
        store.revoke_api_key("nobody")


def test_deployments(store: StateStore) -> None:
    before = store.revision()
    store.create_deployment("credit", "credit_risk", "production")
    assert [d.model for d in store.list_deployments()] == ["credit_risk"]
    assert store.get_deployment("credit").alias == "production"
    assert store.revision() == before + 1
    with pytest.raises(AlreadyExists):
        store.create_deployment("credit", "other", "production")
    store.delete_deployment("credit")
    with pytest.raises(DeploymentNotFound):
        store.get_deployment("credit")


def test_the_cheap_head_check_agrees_with_alembic() -> None:
    from alembic.script import ScriptDirectory

    from modelport.state.migrate import _config, head_revision

    assert head_revision() == ScriptDirectory.from_config(_config()).get_current_head()
