"""One logged request, as the writer hands it to a sink (``LogRecord``) and as a reader gives it back (``LogEntry``).

A ``LogRecord`` keeps ``inputs`` and ``outputs`` as the JSON text the writer made once: the Parquet
sink stores that text as is, a broker sink splices it into the record's JSON message
(``to_json``) without parsing it again. ``LogEntry`` is the decoded form ``modelport log`` prints,
whichever sink the record went to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

__all__ = ["LogEntry", "LogRecord"]


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One logged request: the columns of the Parquet log, the fields of a stream message."""

    request_id: str
    deployment: str
    variant: str
    model: str
    version: str
    time: datetime
    latency_ms: float
    rows: int
    inputs: str | None  # JSON: [{column: value}, …] (None unless fields=full)
    outputs: str | None  # JSON: {"predictions": […], "probabilities"?: […], "classes"?: […]} (None for metadata)

    def to_json(self) -> bytes:
        """The record as one JSON object (a stream message): ``inputs``/``outputs`` nested, not quoted."""
        return orjson.dumps(
            {
                "request_id": self.request_id,
                "deployment": self.deployment,
                "variant": self.variant,
                "model": self.model,
                "version": self.version,
                "time": self.time,
                "latency_ms": self.latency_ms,
                "rows": self.rows,
                "inputs": None if self.inputs is None else orjson.Fragment(self.inputs),
                "outputs": None if self.outputs is None else orjson.Fragment(self.outputs),
            }
        )


@dataclass(frozen=True)
class LogEntry:
    """One logged request, as ``modelport log`` prints it (``inputs``/``outputs`` decoded)."""

    request_id: str
    deployment: str
    variant: str
    model: str
    version: str
    time: datetime
    latency_ms: float
    rows: int
    inputs: list[dict[str, Any]] | None
    outputs: dict[str, Any] | None

    @classmethod
    def from_json(cls, message: bytes | str) -> LogEntry:
        """The entry of a stream message written by ``LogRecord.to_json``."""
        doc = orjson.loads(message)
        return cls(
            request_id=doc["request_id"],
            deployment=doc["deployment"],
            variant=doc["variant"],
            model=doc["model"],
            version=doc["version"],
            time=datetime.fromisoformat(doc["time"]),
            latency_ms=float(doc["latency_ms"]),
            rows=int(doc["rows"]),
            inputs=doc.get("inputs"),
            outputs=doc.get("outputs"),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "deployment": self.deployment,
            "variant": self.variant,
            "model": self.model,
            "version": self.version,
            "time": self.time.isoformat(),
            "latency_ms": round(self.latency_ms, 3),
            "rows": self.rows,
            "inputs": self.inputs,
            "outputs": self.outputs,
        }
