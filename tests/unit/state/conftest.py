"""A state store on SQLite and on PostgreSQL: every state test runs on both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from modelport.state import StateStore
from tests.conftest import PostgresDatabases


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request: pytest.FixtureRequest, tmp_path: Path, postgres: PostgresDatabases) -> str:
    """A fresh database: a SQLite file or a PostgreSQL database of its own."""
    return f"sqlite:///{tmp_path / 'state.db'}" if request.param == "sqlite" else postgres.create()


@pytest.fixture
def store(state_url: str) -> Iterator[StateStore]:
    opened = StateStore.from_url(state_url)
    yield opened
    opened.close()


@pytest.fixture
def database(state_url: str) -> Iterator[sa.Engine]:
    """An engine of the test's own on the store's database, to look at what the store wrote."""
    engine = sa.create_engine(state_url.replace("postgresql://", "postgresql+psycopg://", 1))
    yield engine
    engine.dispose()
