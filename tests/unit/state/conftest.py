"""A state store on SQLite and on PostgreSQL: every state test runs on both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from modelport.state import StateStore
from tests.conftest import PostgresDatabases


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path, postgres: PostgresDatabases) -> Iterator[StateStore]:
    url = f"sqlite:///{tmp_path / 'state.db'}" if request.param == "sqlite" else postgres.create()
    opened = StateStore.from_url(url)
    yield opened
    opened.close()
