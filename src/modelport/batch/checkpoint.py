"""The work folder of a run (``<output>.modelport-partial/``) and its checkpoint log.

A part is done when its file has been renamed into place *and* its line is in ``parts.jsonl`` (appended and
fsynced after the rename). A run started again with the same fingerprint skips those parts; one with a
different fingerprint (other arguments, changed input files, another model version) starts afresh, because
mixing parts of two different runs would silently produce wrong output.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson

__all__ = ["Checkpoint", "PartRecord", "fingerprint", "partial_dir"]

_FINGERPRINT = "fingerprint"
_LOG = "parts.jsonl"


def partial_dir(output: Path) -> Path:
    """Where a run writing ``output`` keeps its parts and checkpoint."""
    return output.with_name(output.name + ".modelport-partial")


def fingerprint(arguments: Mapping[str, Any]) -> str:
    """Stable hash of everything that decides a run's output (sorted JSON, SHA-256)."""
    return hashlib.sha256(orjson.dumps(arguments, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(frozen=True)
class PartRecord:
    """A finished part: how many input rows it covered, how many it wrote and rejected."""

    index: int
    rows_in: int
    rows_out: int
    rows_rejected: int


class Checkpoint:
    """The finished parts of a run, persisted one line at a time."""

    def __init__(self, folder: Path, done: dict[int, PartRecord]) -> None:
        self.folder = folder
        self.done = done
        self._log = (folder / _LOG).open("ab")

    @classmethod
    def open(cls, folder: Path, run_fingerprint: str) -> Checkpoint:
        """Resume the run in ``folder`` if it has ``run_fingerprint``, else start a fresh one there."""
        marker = folder / _FINGERPRINT
        if folder.exists() and (not marker.exists() or marker.read_text().strip() != run_fingerprint):
            shutil.rmtree(folder)
        if not folder.exists():
            folder.mkdir(parents=True)
            temporary = marker.with_suffix(".tmp")
            temporary.write_text(run_fingerprint)
            os.replace(temporary, marker)
        done = _read_log(folder / _LOG)
        # Rewrite the log without a line torn by a kill, so that new lines never append to a torn one.
        temporary = folder / (_LOG + ".tmp")
        temporary.write_bytes(b"".join(orjson.dumps(asdict(part)) + b"\n" for part in done.values()))
        os.replace(temporary, folder / _LOG)
        return cls(folder, done)

    def part_path(self, index: int, kind: str, suffix: str) -> Path:
        """``part-00042.parquet`` for output, ``rejected-00042.parquet`` for rejected rows."""
        return self.folder / f"{kind}-{index:06d}{suffix}"

    def record(self, part: PartRecord) -> None:
        """Mark ``part`` done, durably."""
        self._log.write(orjson.dumps(asdict(part)) + b"\n")
        self._log.flush()
        os.fsync(self._log.fileno())
        self.done[part.index] = part

    def close(self) -> None:
        self._log.close()

    def remove(self) -> None:
        """Delete the work folder once the final output is in place."""
        self.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def _read_log(path: Path) -> dict[int, PartRecord]:
    done: dict[int, PartRecord] = {}
    if not path.exists():
        return done
    for line in path.read_bytes().splitlines():
        try:
            part = PartRecord(**orjson.loads(line))
        except (orjson.JSONDecodeError, TypeError):
            continue  # the line being written when the process died
        done[part.index] = part
    return done
