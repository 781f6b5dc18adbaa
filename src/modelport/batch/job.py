"""What a batch scoring run is asked to do, independent of the engine that does it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from modelport.batch.source import InputFormat
from modelport.errors import InvalidRequest

__all__ = ["BatchJob"]


def _default_workers() -> int:
    return os.cpu_count() or 1


@dataclass(frozen=True)
class BatchJob:
    """Arguments of ``modelport batch score``; ``keep`` is the raw ``--keep`` text (None = the id column)."""

    input: str
    output: Path
    output_format: InputFormat | None = None
    input_format: InputFormat | None = None
    keep: str | None = None
    id_column: str | None = None
    workers: int = field(default_factory=_default_workers)
    batch_size: int = 65_536
    strict: bool = False
    overwrite: bool = False

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise InvalidRequest("--workers must be at least 1", details=[{"workers": self.workers}])
        if self.batch_size < 1:
            raise InvalidRequest("--batch-size must be at least 1", details=[{"batch_size": self.batch_size}])

    @property
    def target(self) -> Path:
        """The output path, absolute."""
        return self.output.expanduser().resolve()

    @property
    def format(self) -> InputFormat:
        """The output format: ``--format`` or the output's extension."""
        found = self.output_format or InputFormat.from_path(self.output)
        if found is None:
            raise InvalidRequest(
                f"cannot tell the output format of {self.output}: use .parquet, .csv or .jsonl, or pass --format",
                details=[{"output": str(self.output)}],
            )
        return found

    @property
    def rejected_path(self) -> Path:
        """``scores.parquet`` -> ``scores_rejected.parquet``."""
        target = self.target
        return target.with_name(f"{target.stem}_rejected{target.suffix}")

    @property
    def summary_path(self) -> Path:
        """``scores.parquet`` -> ``scores.parquet.summary.json``."""
        target = self.target
        return target.with_name(target.name + ".summary.json")
