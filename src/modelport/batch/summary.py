"""The run summary written next to batch output (the seed's metadata file, complete)."""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from modelport import __version__
from modelport.batch.job import BatchJob
from modelport.batch.scorer import ModelInfo

__all__ = ["RunCounts", "RunSummary", "RunTimer"]


@dataclass(frozen=True)
class RunSummary:
    """What ran, on what, and how it went. Durations and rates cover this invocation only."""

    model_name: str
    model_version: int
    model_uri: str
    predictor: str
    engine: str
    inputs: list[str]
    output: str
    rejected_output: str | None
    rows_in: int
    rows_out: int
    rows_rejected: int
    parts: int
    parts_resumed: int
    workers: int
    batch_size: int
    duration_s: float
    rows_per_s: float
    started_utc: str
    finished_utc: str
    modelport_version: str
    compiled: str | None = None
    """``converted`` (this run compiled the version), ``disk``/``state store`` (it found it compiled)."""
    drift: dict[str, Any] | None = None
    """Feature drift of the rows scored against the version's sample (``DriftReport``); None without one."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def with_drift(self, drift: dict[str, Any]) -> RunSummary:
        return replace(self, drift=drift)

    def write(self, path: Path) -> None:
        """Write as indented JSON, atomically."""
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_bytes(orjson.dumps(self.to_dict(), option=orjson.OPT_INDENT_2) + b"\n")
        os.replace(temporary, path)


@dataclass(frozen=True)
class RunCounts:
    """Row and part counts of a finished run; ``rows_scored`` is what this invocation scored itself."""

    rows_in: int
    rows_out: int
    rows_rejected: int
    parts: int
    parts_resumed: int
    rows_scored: int


class RunTimer:
    """Started when a run starts; turns its counts into the summary when it ends."""

    def __init__(self) -> None:
        self.started = datetime.now(UTC)
        self._clock = time.monotonic()

    def summary(
        self, job: BatchJob, model: ModelInfo, *, engine: str, inputs: list[str], counts: RunCounts, workers: int
    ) -> RunSummary:
        duration = time.monotonic() - self._clock
        return RunSummary(
            model_name=model.name,
            model_version=model.version,
            model_uri=model.uri,
            predictor=model.predictor,
            engine=engine,
            inputs=inputs,
            output=str(job.target),
            rejected_output=str(job.rejected_path) if counts.rows_rejected else None,
            rows_in=counts.rows_in,
            rows_out=counts.rows_out,
            rows_rejected=counts.rows_rejected,
            parts=counts.parts,
            parts_resumed=counts.parts_resumed,
            workers=workers,
            batch_size=job.batch_size,
            duration_s=round(duration, 3),
            rows_per_s=round(counts.rows_scored / duration, 1) if duration > 0 else 0.0,
            started_utc=self.started.isoformat(),
            finished_utc=datetime.now(UTC).isoformat(),
            modelport_version=__version__,
            compiled=model.compiled,
        )
