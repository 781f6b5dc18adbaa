"""The prediction log's dataset: partitions by deployment and date, reading by time, retention."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa

from modelport.inference.predictionlog import LOG_SCHEMA, prune_log, read_log, write_part

T0 = datetime(2026, 12, 1, 23, 59, tzinfo=UTC)


def _row(request_id: str, at: datetime, deployment: str = "d") -> dict[str, object]:
    return {
        "request_id": request_id,
        "deployment": deployment,
        "variant": "primary",
        "model": "m",
        "version": "1",
        "time": at,
        "latency_ms": 1.5,
        "rows": 1,
        "inputs": '[{"a": 1.0}]',
        "outputs": '{"predictions": [0]}',
    }


def _write(root: Path, day: date, name: str, *rows: dict[str, object], deployment: str = "d") -> None:
    write_part(root, deployment, day, pa.Table.from_pylist(list(rows), schema=LOG_SCHEMA), name)


def test_reads_by_time_across_days_oldest_first(tmp_path: Path) -> None:
    later = T0 + timedelta(minutes=2)
    _write(tmp_path, later.date(), "b", _row("r3", later))
    _write(tmp_path, T0.date(), "a", _row("r2", T0), _row("r1", T0 - timedelta(hours=2)))
    _write(tmp_path, T0.date(), "x", _row("other", T0, "e"), deployment="e")

    entries = read_log(tmp_path, "d", since=T0 - timedelta(hours=3))
    assert [e.request_id for e in entries] == ["r1", "r2", "r3"]
    assert entries[0].inputs == [{"a": 1.0}]
    assert entries[0].outputs == {"predictions": [0]}
    assert [e.request_id for e in read_log(tmp_path, "d", since=T0 - timedelta(hours=1))] == ["r2", "r3"]
    assert [e.request_id for e in read_log(tmp_path, "d", since=T0 - timedelta(hours=3), limit=1)] == ["r3"]
    assert read_log(tmp_path, "nobody", since=T0) == []
    assert sorted(p.parent.name for p in tmp_path.glob("deployment=d/*/*.parquet")) == [
        "date=2026-12-01",
        "date=2026-12-02",
    ]


def test_retention_drops_whole_old_days(tmp_path: Path) -> None:
    for days_ago in range(5):
        day = T0.date() - timedelta(days=days_ago)
        _write(tmp_path, day, "p", _row(f"r{days_ago}", T0 - timedelta(days=days_ago)))
    removed = prune_log(tmp_path, keep_days=2, today=T0.date())
    assert sorted(p.name for p in removed) == ["date=2026-11-27", "date=2026-11-28", "date=2026-11-29"]
    assert [e.request_id for e in read_log(tmp_path, "d", since=T0 - timedelta(days=10))] == ["r1", "r0"]
