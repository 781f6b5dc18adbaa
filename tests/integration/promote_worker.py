"""A separate process that promotes versions of one model in a loop (used by the race test)."""

from __future__ import annotations

import sys
from pathlib import Path

from modelport.registry import Registry
from modelport.settings import Settings

ROOT = Path(__file__).parents[2]
"""Run the command from here (``cwd``) so ``tests.integration.promote_worker`` imports."""


def command(settings: Settings, worker: int, rounds: int) -> list[str]:
    """The argv of a worker promoting ``credit_risk`` ``rounds`` times: round i promotes 1 + (i + worker) % 2."""
    return [
        sys.executable,
        "-m",
        "tests.integration.promote_worker",
        str(settings.home),
        settings.resolved_registry_uri,
        settings.resolved_state_uri,
        str(worker),
        str(rounds),
    ]


def main() -> None:
    home, registry_uri, state_uri, worker, rounds = sys.argv[1:6]
    settings = Settings(home=home, registry_uri=registry_uri, state_uri=state_uri)
    registry = Registry.open(settings)
    for i in range(int(rounds)):
        registry.promote("credit_risk", 1 + (i + int(worker)) % 2, actor=f"worker-{worker}", reason=f"w{worker} r{i}")
    registry.store.close()


if __name__ == "__main__":
    main()
