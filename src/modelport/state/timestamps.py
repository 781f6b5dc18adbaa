"""UTC timestamps as every state table stores them, and the clock to compare with them.

The rollout controller and the reports measure time against stored timestamps, so they use
``utcnow`` from here rather than a clock of their own.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["aware", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything we store is UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)
