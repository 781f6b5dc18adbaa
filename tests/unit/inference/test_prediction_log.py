"""The prediction log's dataset: partitions by deployment and date, reading by time, retention."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
import pyarrow as pa
import pytest

from modelport.errors import InvalidSettings
from modelport.inference.predictionlog import (
    LOG_SCHEMA,
    LogEntry,
    LogRecord,
    ParquetSink,
    parquet_sink,
    prune_log,
    read_log,
    write_part,
)
from modelport.settings import Settings

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


def test_a_stream_message_reads_back_as_the_entry_parquet_gives() -> None:
    record = LogRecord(
        request_id="r1",
        deployment="d",
        variant="B",
        model="m",
        version="2",
        time=T0,
        latency_ms=1.5,
        rows=2,
        inputs='[{"a": 1.0, "s": "x"}, {"a": null, "s": "y"}]',
        outputs='{"predictions": [0, 1], "classes": [0, 1]}',
    )
    message = orjson.loads(record.to_json())
    assert message["inputs"] == [{"a": 1.0, "s": "x"}, {"a": None, "s": "y"}]  # nested JSON, not a quoted string
    assert message["time"] == "2026-12-01T23:59:00+00:00"

    entry = LogEntry.from_json(record.to_json())
    assert entry == LogEntry("r1", "d", "B", "m", "2", T0, 1.5, 2, message["inputs"], message["outputs"])
    metadata_only = LogEntry.from_json(replace(record, inputs=None, outputs=None).to_json())
    assert (metadata_only.inputs, metadata_only.outputs) == (None, None)


def test_the_parquet_sink_writes_what_a_stream_sink_would_send(tmp_path: Path) -> None:
    record = LogRecord("r1", "d", "primary", "m", "1", T0, 1.5, 1, '[{"a": 1.0}]', '{"predictions": [0]}')
    assert ParquetSink(tmp_path).write([record, replace(record, request_id="r2", deployment="e")]) == {}
    (entry,) = read_log(tmp_path, "d", since=T0)
    assert entry == LogEntry.from_json(record.to_json())


def test_the_data_plane_alone_refuses_a_broker_sink_rather_than_write_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidSettings, match="open_log_sink"):
        parquet_sink(Settings(home=tmp_path, prediction_log={"sink": "redis"}))
