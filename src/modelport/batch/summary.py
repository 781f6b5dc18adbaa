"""The run summary written next to batch output (the seed's metadata file, complete)."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson

__all__ = ["RunSummary"]


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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def write(self, path: Path) -> None:
        """Write as indented JSON, atomically."""
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_bytes(orjson.dumps(self.to_dict(), option=orjson.OPT_INDENT_2) + b"\n")
        os.replace(temporary, path)
