"""``ParquetSink``: the embedded default — one Parquet file per deployment and day per writer flush."""

from __future__ import annotations

import logging
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import fields
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from modelport.errors import InvalidSettings
from modelport.inference.predictionlog.dataset import LOG_SCHEMA, prune_log, write_part
from modelport.inference.predictionlog.record import LogRecord

if TYPE_CHECKING:
    from modelport.inference.predictionlog.sink import Lost
    from modelport.settings import Settings

__all__ = ["ParquetSink", "parquet_sink"]

log = logging.getLogger(__name__)

_COLUMNS = [f.name for f in fields(LogRecord)]


def parquet_sink(settings: Settings) -> ParquetSink:
    """The sink the data plane opens by itself: Parquet under ``settings.prediction_log_dir``.

    A broker sink needs ``modelport.logsinks.open_log_sink`` (``modelport serve`` and the stream
    workers pass it to ``Node``): asked for one here, this refuses rather than write Parquet instead.
    """
    kind = settings.prediction_log.sink
    if kind != "parquet":
        raise InvalidSettings(
            f"prediction_log.sink={kind}: the broker sinks are opened by modelport.logsinks.open_log_sink; "
            "pass it to Node(log_sink=...) (modelport serve and modelport stream do)"
        )
    return ParquetSink(settings.prediction_log_dir)


class ParquetSink:
    """Writes each flush as one new file per deployment and UTC day under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._writer = uuid.uuid4().hex[:12]  # in every file name: writers never collide
        self._files = 0

    def describe(self) -> str:
        return f"parquet {self.root}"

    def write(self, records: Sequence[LogRecord]) -> Lost:
        parts: dict[tuple[str, date], dict[str, list[Any]]] = {}
        for record in records:
            key = (record.deployment, record.time.date())
            columns = parts.get(key)
            if columns is None:
                columns = parts[key] = defaultdict(list)
            for name in _COLUMNS:
                columns[name].append(getattr(record, name))
        lost: Counter[str] = Counter()
        for (deployment, day), columns in parts.items():
            self._files += 1
            name = f"part-{self._writer}-{self._files:06d}"
            try:
                write_part(self.root, deployment, day, pa.table(dict(columns), schema=LOG_SCHEMA), name)
            except Exception:  # a full disk must not take the server down: the records are lost, and counted
                rows = len(columns["request_id"])
                log.exception("could not write %d prediction log record(s) of %s", rows, deployment)
                lost[deployment] += rows
        return lost

    def prune(self, keep_days: int) -> None:
        try:
            prune_log(self.root, keep_days=keep_days)
        except OSError:
            log.exception("could not prune the prediction log in %s", self.root)

    def close(self) -> Lost:
        return {}
