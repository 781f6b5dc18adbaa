"""Rollouts on a real registry (the demo's credit_risk: versions 1 and 2, production on 1)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from modelport.deployments import Rollouts
from modelport.registry import Registry
from modelport.settings import Settings


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)  # revisions written by operators carry the real time

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def rollouts(demo_home: Path) -> Iterator[Rollouts]:
    registry = Registry.open(Settings(home=demo_home, actor="tester"))
    registry.store.create_deployment("credit", "credit_risk", "production")
    yield Rollouts(registry.store, registry, actor="tester")
    registry.store.close()
