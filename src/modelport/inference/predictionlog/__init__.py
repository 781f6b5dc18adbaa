"""The prediction log: sampled requests and responses, written off the hot path to a Parquet dataset.

``PredictionLog`` is the data plane's observer and writer thread; ``read_log`` reads the dataset back
(``modelport log``); ``prune_log`` applies the retention.
"""

from modelport.inference.predictionlog.dataset import LOG_SCHEMA, LogEntry, prune_log, read_log, write_part
from modelport.inference.predictionlog.writer import PredictionLog

__all__ = ["LOG_SCHEMA", "LogEntry", "PredictionLog", "prune_log", "read_log", "write_part"]
