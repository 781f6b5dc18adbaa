"""The state store's engine on PostgreSQL: a dropped connection is healed, a lost database is a BackendError."""

from __future__ import annotations

import psycopg
import pytest

from modelport.errors import BackendError
from modelport.state import StateStore
from tests.conftest import PG_ADMIN_DSN, PostgresDatabases


def _admin(sql: str, name: str) -> None:
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
        admin.execute(sql.format(name=name))


def test_a_killed_connection_is_replaced_without_an_error(postgres: PostgresDatabases) -> None:
    url = postgres.create()
    store = StateStore.from_url(url)
    try:
        before = store.revision()
        name = url.rsplit("/", 1)[1]
        _admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'", name)
        assert store.revision() == before  # the pool's pre-ping noticed and reconnected
    finally:
        store.close()


def test_a_database_gone_after_opening_is_a_backend_error_with_the_password_masked(
    postgres: PostgresDatabases,
) -> None:
    url = postgres.create()
    name = url.rsplit("/", 1)[1]
    store = StateStore.from_url(url.replace("postgres@", "postgres:hunter2@"))
    try:
        _admin('DROP DATABASE "{name}" WITH (FORCE)', name)
        with pytest.raises(BackendError) as raised:
            store.list_deployments()
    finally:
        store.close()
    message = raised.value.message
    assert "postgresql://postgres:***@" in message
    assert f'database "{name}" does not exist' in message
    assert "hunter2" not in message
    assert "\n" not in message
