"""Compiled model versions (ONNX bytes and parity verdicts) shared by every replica and batch job.

One row per key (the model's content hash and the converter versions, made by ``modelport.runtime``).
Rows are written once and never updated: the first writer wins, a second writer of the same key had
the same inputs and so the same result. ``payload`` is NULL when the verdict says "no ONNX", which is
stored too, so no replica retries a conversion that failed parity.

A second table links a registered version to its key, with the version's ``MLmodel`` and registration
sample: with those and the ONNX bytes, a replica on another machine serves the version without
importing MLflow or downloading its artifacts (a :class:`ServedForm`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from modelport.state import tables
from modelport.state.timestamps import aware, utcnow

__all__ = ["CompiledRecord", "CompiledTable", "ServedForm"]


@dataclass(frozen=True, slots=True)
class CompiledRecord:
    """One stored compilation; ``verdict`` is JSON text the runtime writes and reads."""

    key: str
    model: str
    version: str
    verdict: str
    payload: bytes | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ServedForm:
    """A registered version as served from its compiled form: the key of its ONNX bytes and the two
    files of its model folder a predictor needs besides them."""

    model: str
    version: str
    key: str
    mlmodel: str
    sample: bytes | None


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

    def link(self, key: str, *, model: str, version: str, mlmodel: str, sample: bytes | None) -> None:
        """Record that registered ``model``/``version`` compiles under ``key``: the newest load wins.

        A version's files may still change after registration (MLflow itself adds a
        ``registered_model_meta`` file to a local artifact folder it serves), which changes their key;
        the link follows the files the last load actually hashed.
        """
        t = tables.compiled_versions
        where = (t.c.model == model, t.c.version == version)
        values = {"model": model, "version": version, "key": key, "mlmodel": mlmodel, "sample": sample}
        try:
            with self._engine.begin() as conn:
                if conn.execute(sa.select(t.c.key).where(*where)).scalar() == key:
                    return
                conn.execute(sa.delete(t).where(*where))
                conn.execute(sa.insert(t).values(**values, created_at=utcnow()))
        except sa.exc.IntegrityError:  # another process linked it at the same moment: its link is as good
            return

    def served_form(self, model: str, version: str) -> ServedForm | None:
        """``model``/``version`` as a replica can serve it without its model files: linked to a compiled
        form that passed parity (None otherwise: the version must be loaded from the registry)."""
        v, c = tables.compiled_versions, tables.compiled
        query = (
            sa.select(v.c.key, v.c.mlmodel, v.c.sample)
            .join(c, c.c.key == v.c.key)
            .where(v.c.model == model, v.c.version == version, c.c.payload.is_not(None))
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        sample = None if row.sample is None else bytes(row.sample)
        return ServedForm(model, version, row.key, row.mlmodel, sample)
