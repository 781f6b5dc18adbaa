"""How modelport's text log lines show time: UTC with a Z, the one way the CLI shows times.

Shared by ``serve`` (``modelport.serving.logs``) and ``stream`` workers, which must not import the
HTTP layer to get it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

__all__ = ["UtcFormatter"]


class UtcFormatter(logging.Formatter):
    """Text lines stamped in UTC, the one way modelport shows times: ``2026-12-01 19:54:08.123Z``."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%d %H:%M:%S")
        return f"{stamp}.{int(record.msecs):03d}Z"
