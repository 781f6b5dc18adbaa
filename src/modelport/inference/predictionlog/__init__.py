"""The prediction log: sampled requests and responses, written off the hot path to a sink.

``PredictionLog`` is the data plane's observer and writer thread; it hands ``LogRecord``\\ s to a
``PredictionLogSink``: ``ParquetSink`` (the embedded default, a dataset partitioned by deployment
and date) or a broker sink of ``modelport.logsinks``. ``read_log`` reads the Parquet dataset back
(``modelport log``); ``prune_log`` applies the retention.
"""

from modelport.inference.predictionlog.dataset import LOG_SCHEMA, prune_log, read_log, write_part
from modelport.inference.predictionlog.parquet_sink import ParquetSink, parquet_sink
from modelport.inference.predictionlog.record import LogEntry, LogRecord
from modelport.inference.predictionlog.sink import LogSinkFactory, Lost, PredictionLogSink
from modelport.inference.predictionlog.writer import PredictionLog

__all__ = [
    "LOG_SCHEMA",
    "LogEntry",
    "LogRecord",
    "LogSinkFactory",
    "Lost",
    "ParquetSink",
    "PredictionLog",
    "PredictionLogSink",
    "parquet_sink",
    "prune_log",
    "read_log",
    "write_part",
]
