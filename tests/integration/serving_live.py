"""A live modelport server as the integration tests see it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class LiveServer:
    """A server listening on a port the kernel picked (read back from the bound socket)."""

    url: str
    host: str
    port: int
