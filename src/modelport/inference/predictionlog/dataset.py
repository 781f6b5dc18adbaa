"""The prediction log on disk: a Parquet dataset partitioned by deployment and date, read back by time.

Layout (hive-style, so Spark, DuckDB and ``pyarrow.dataset`` read it as is)::

    <root>/deployment=<name>/date=<YYYY-MM-DD>/part-<writer>-<n>.parquet

One file per writer flush; dates are UTC. Retention deletes whole date partitions.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from modelport.inference.predictionlog.record import LogEntry

__all__ = ["LOG_SCHEMA", "prune_log", "read_log", "write_part"]

LOG_SCHEMA = pa.schema(
    [
        pa.field("request_id", pa.string(), nullable=False),
        pa.field("deployment", pa.string(), nullable=False),
        pa.field("variant", pa.string(), nullable=False),
        pa.field("model", pa.string(), nullable=False),
        pa.field("version", pa.string(), nullable=False),
        pa.field("time", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("latency_ms", pa.float64(), nullable=False),
        pa.field("rows", pa.int64(), nullable=False),
        pa.field("inputs", pa.string()),  # JSON: [{column: value}, …] (null unless fields=full)
        pa.field("outputs", pa.string()),  # JSON: {"predictions": […], "probabilities"?: […]} (null for metadata)
    ]
)
"""One row per logged request."""


def _partition(root: Path, deployment: str, day: date) -> Path:
    return root / f"deployment={deployment}" / f"date={day.isoformat()}"


def write_part(root: Path, deployment: str, day: date, table: pa.Table, name: str) -> Path:
    """Write ``table`` as one new file of the partition, atomically (readers never see half a file)."""
    folder = _partition(root, deployment, day)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.parquet"
    temporary = folder / f".{name}.parquet.tmp"
    pq.write_table(table, temporary, compression="zstd")
    os.replace(temporary, path)
    return path


def _days(root: Path, deployment: str) -> Iterator[tuple[date, Path]]:
    folder = root / f"deployment={deployment}"
    if not folder.is_dir():
        return
    for child in sorted(folder.iterdir()):
        if child.is_dir() and child.name.startswith("date="):
            try:
                yield date.fromisoformat(child.name.removeprefix("date=")), child
            except ValueError:
                continue  # not ours


def read_log(
    root: Path, deployment: str, *, since: datetime, until: datetime | None = None, limit: int | None = None
) -> list[LogEntry]:
    """Entries of ``deployment`` logged in ``[since, until)``, oldest first (at most the newest ``limit``)."""
    until = until or datetime.now(UTC) + timedelta(days=1)
    tables = []
    for day, folder in _days(root, deployment):
        if not since.date() <= day <= until.date():
            continue
        for path in sorted(folder.glob("*.parquet")):
            tables.append(pq.ParquetFile(path).read())
    if not tables:
        return []
    table = pa.concat_tables(tables, promote_options="default")
    rows = [r for r in table.to_pylist() if since <= r["time"] < until]
    rows.sort(key=lambda r: r["time"])
    if limit is not None:
        rows = rows[-limit:] if limit > 0 else []
    return [
        LogEntry(
            request_id=r["request_id"],
            deployment=r["deployment"],
            variant=r["variant"],
            model=r["model"],
            version=r["version"],
            time=r["time"],
            latency_ms=r["latency_ms"],
            rows=r["rows"],
            inputs=None if r["inputs"] is None else orjson.loads(r["inputs"]),
            outputs=None if r["outputs"] is None else orjson.loads(r["outputs"]),
        )
        for r in rows
    ]


def prune_log(root: Path, *, keep_days: int, today: date | None = None) -> list[Path]:
    """Delete date partitions older than ``keep_days`` days (of every deployment); returns what went."""
    if not root.is_dir():
        return []
    oldest = (today or datetime.now(UTC).date()) - timedelta(days=keep_days - 1)
    removed = []
    for deployment_dir in root.iterdir():
        if not deployment_dir.name.startswith("deployment="):
            continue
        for day, folder in _days(root, deployment_dir.name.removeprefix("deployment=")):
            if day < oldest:
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
    return removed
