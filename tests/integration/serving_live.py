"""A live modelport server as the integration tests see it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class LiveServer:
    """A server listening on a port the kernel picked (read back from the bound socket)."""

    url: str
    host: str
    port: int


def eventually(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Wait for something the server brings about by itself (a deadline, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.05)
