"""Batch scoring: files in, predictions out; streaming, parallel, resumable; Spark for bigger data.

    job = BatchJob(input="in/*.csv", output=Path("scores.parquet"), id_column="id")
    summary = score_locally(job, scorer, model_info)

The engines see a model only through the ``Scorer`` protocol (``runtime_scorer.py`` builds one from a model
directory); inputs and outputs are Arrow all the way.
"""

from modelport.batch.checkpoint import partial_dir
from modelport.batch.drift import DriftScorer, drift_scorer
from modelport.batch.job import BatchJob
from modelport.batch.layout import OutputLayout, parse_keep
from modelport.batch.local import score_locally
from modelport.batch.progress import NullProgress, ProgressReporter, RichProgress
from modelport.batch.rowcount import RowTotal, expected_rows
from modelport.batch.scorer import ModelInfo, Scorer, Scores
from modelport.batch.source import InputFile, InputFormat, discover_inputs, read_chunks
from modelport.batch.summary import RunSummary

__all__ = [
    "BatchJob",
    "DriftScorer",
    "InputFile",
    "InputFormat",
    "ModelInfo",
    "NullProgress",
    "OutputLayout",
    "ProgressReporter",
    "RichProgress",
    "RowTotal",
    "RunSummary",
    "Scorer",
    "Scores",
    "discover_inputs",
    "drift_scorer",
    "expected_rows",
    "parse_keep",
    "partial_dir",
    "read_chunks",
    "score_locally",
]
