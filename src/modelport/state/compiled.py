"""Compiled model versions (ONNX bytes and parity verdicts) shared by every replica and batch job.

One row per key (the model's content hash and the converter versions, made by ``modelport.runtime``).
Rows are written once and never updated: the first writer wins, a second writer of the same key had
the same inputs and so the same result. ``payload`` is NULL when the verdict says "no ONNX", which is
stored too, so no replica retries a conversion that failed parity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from modelport.state import tables
from modelport.state.timestamps import aware, utcnow

__all__ = ["CompiledRecord", "CompiledTable"]


@dataclass(frozen=True, slots=True)
class CompiledRecord:
    """One stored compilation; ``verdict`` is JSON text the runtime writes and reads."""

    key: str
    model: str
    version: str
    verdict: str
    payload: bytes | None
    created_at: datetime


class CompiledTable:
    """Reach it as ``StateStore.compiled``."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def get(self, key: str) -> CompiledRecord | None:
        t = tables.compiled
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(t).where(t.c.key == key)).first()
        if row is None:
            return None
        payload = None if row.payload is None else bytes(row.payload)
        return CompiledRecord(row.key, row.model, row.version, row.verdict, payload, aware(row.created_at))

    def put(self, key: str, *, model: str, version: str, verdict: str, payload: bytes | None) -> bool:
        """Store a compilation unless the key is already there; True when this call stored it."""
        t = tables.compiled
        values = {"key": key, "model": model, "version": version, "verdict": verdict, "payload": payload}
        try:
            with self._engine.begin() as conn:
                conn.execute(sa.insert(t).values(**values, created_at=utcnow()))
        except sa.exc.IntegrityError:  # another replica compiled the same key first: same inputs, same result
            return False
        return True

    def forget(self, key: str | None = None) -> int:
        """Delete one key (None: every row), so the next load compiles again; the number of rows removed."""
        t = tables.compiled
        with self._engine.begin() as conn:
            query = sa.delete(t) if key is None else sa.delete(t).where(t.c.key == key)
            return int(conn.execute(query).rowcount)
