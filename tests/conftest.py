"""Fixtures shared by every tier: a hermetic environment, real PostgreSQL databases, a demo registry."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis

from modelport.settings import Settings

PG_ADMIN_DSN = os.environ.get("MODELPORT_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(autouse=True)
def hermetic_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No MODELPORT_*/MLFLOW_* setting leaks in from the developer's shell; every test works in a temp dir."""
    for key in list(os.environ):
        if key.startswith(("MODELPORT_", "MLFLOW_")):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    """``pytest.mark.anyio`` tests run on asyncio (what uvicorn and the data plane use)."""
    return "asyncio"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")


class PostgresDatabases:
    """Creates databases of our own on the machine's PostgreSQL and drops them at the end of the run."""

    def __init__(self) -> None:
        try:
            self._admin = psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=5)
        except psycopg.OperationalError as exc:  # a missing service is a failure, never a skip
            pytest.fail(f"PostgreSQL is required at {PG_ADMIN_DSN}: {exc}")
        self._created: list[str] = []

    def create(self) -> str:
        name = f"modelport_test_{uuid.uuid4().hex[:12]}"
        self._admin.execute(f'CREATE DATABASE "{name}"')
        self._created.append(name)
        return PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"

    def drop_all(self) -> None:
        for name in self._created:
            self._admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._admin.close()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresDatabases]:
    dbs = PostgresDatabases()
    yield dbs
    dbs.drop_all()


@pytest.fixture
def pg_settings(tmp_path: Path, postgres: PostgresDatabases) -> Settings:
    """Registry and state both on fresh PostgreSQL databases; artifacts in the temp dir."""
    return Settings(home=tmp_path / "home", registry_uri=postgres.create(), state_uri=postgres.create())


@pytest.fixture(scope="session")
def demo_home_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home where the demo ran once (training takes seconds; tests copy it instead of re-running)."""
    from modelport.demo import run_demo
    from modelport.registry import Registry

    home = tmp_path_factory.mktemp("demo-template") / "home"
    registry = Registry.open(Settings(home=home))
    run_demo(registry, home / "demo", actor="tester")
    registry.store.close()
    return home


@pytest.fixture
def demo_home(demo_home_template: Path, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    shutil.copytree(demo_home_template, home)
    return home


@pytest.fixture
def mock_cluster() -> Iterator[str]:
    """Three librdkafka mock brokers (real TCP) living in this process as long as this client does; their
    bootstrap address read back. Kafka has no broker on this machine: this is what every Kafka test uses."""
    from confluent_kafka import Producer

    owner = Producer({"test.mock.num.brokers": 3, "log_level": 3})
    brokers = owner.list_topics(timeout=10).brokers.values()
    yield ",".join(f"{b.host}:{b.port}" for b in brokers)
    owner.flush(5)


@pytest.fixture
def redis_prefix() -> Iterator[tuple[redis.Redis, str]]:
    """A client of the machine's Redis and a key prefix of this test's own; its keys are deleted after."""
    client = redis.Redis(host="127.0.0.1", port=6379, socket_timeout=30)
    try:
        client.ping()
    except redis.ConnectionError as exc:  # a missing service is a failure, never a skip
        pytest.fail(f"Redis is required at 127.0.0.1:6379: {exc}")
    prefix = f"modelport-test:{uuid.uuid4().hex[:12]}:"
    yield client, prefix
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def credit_home(demo_home: Path) -> Path:
    """The demo's home with deployment ``credit`` following ``credit_risk@production``."""
    from modelport.state import StateStore

    store = StateStore.open(Settings(home=demo_home))
    store.create_deployment("credit", "credit_risk", "production")
    store.close()
    return demo_home
