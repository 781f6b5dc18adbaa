"""The Spark engine: the same model version, casting, layout and rejects as the local engine, on PySpark.

Each Spark task loads the model folder once and scores its Arrow batches with ``mapInArrow`` through the
very ``score_batch`` the local engine uses, so both engines give the same rows and columns. What differs:
output is a folder of part files (Spark's layout; readable as one dataset by Arrow, pandas and Spark);
the drift section of the summary is counted in the tasks and summed by Spark (``batch.spark_drift``);
rejected rows carry the input file name instead of a global row number, which Spark does not know without
an extra pass; and a killed run starts over (Spark retries failed tasks, but does not checkpoint parts).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from modelport.batch.checkpoint import partial_dir
from modelport.batch.drift import drift_reference
from modelport.batch.job import BatchJob
from modelport.batch.layout import OutputLayout, parse_keep
from modelport.batch.model_ref import ResolvedModel
from modelport.batch.part import score_batch
from modelport.batch.runtime_scorer import RuntimeScorer
from modelport.batch.scorer import ModelInfo
from modelport.batch.source import InputFormat, discover_inputs
from modelport.batch.summary import RunCounts, RunSummary, RunTimer
from modelport.errors import AlreadyExists, InvalidInput, MissingExtra
from modelport.model_format import BadRow
from modelport.runtime import VersionLoader

if TYPE_CHECKING:
    from modelport.settings import DriftSettings

__all__ = ["score_with_spark", "spark_session"]

_REASON = "__modelport_reason"
_COLUMN = "__modelport_column"
_FILE = "__modelport_file"


def _require_pyspark() -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise MissingExtra("--engine spark needs PySpark: pip install 'modelport[spark]'") from None


def spark_session(master: str) -> Any:
    """A session on ``master`` (``local[*]``, ``spark://…``, ``yarn``, ``k8s://…``)."""
    _require_pyspark()
    from pyspark.sql import SparkSession

    return SparkSession.builder.master(master).appName("modelport-batch").getOrCreate()


def score_with_spark(
    job: BatchJob,
    model: ResolvedModel,
    *,
    loader: VersionLoader | None = None,
    master: str = "local[*]",
    session: Any | None = None,
    drift: DriftSettings | None = None,
) -> RunSummary:
    """Run ``job`` with Spark; ``session`` reuses a running SparkSession instead of starting one.

    With ``drift`` (and a registration sample in the model folder) the summary has a drift section,
    the same numbers the local engine gives for the same input.

    ``loader`` (``runtime.model_loader``) loads the version on the driver, compiling it once and keeping
    the result in the disk cache; tasks load with its disk level only (``VersionLoader.local``), so they
    honour the same ``runtime.prefer`` and find the compiled form without a database connection.
    """
    _require_pyspark()
    loader = loader or VersionLoader(None)
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema

    timer = RunTimer()
    started = datetime.now(UTC)
    target, fmt = job.target, job.format
    if target.exists() and not job.overwrite:
        raise AlreadyExists(f"{target} exists; pass --overwrite to replace it", details=[{"output": str(target)}])
    spark = session or spark_session(master)
    files = discover_inputs(
        job.input,
        job.input_format,
        exclude=(target, job.rejected_path, job.summary_path, partial_dir(target)),
    )
    scorer = RuntimeScorer(loader(model.model_dir, model=model.name, version=str(model.version)))
    task_loader = loader.local()
    layout = OutputLayout(
        parse_keep(job.keep, job.id_column),
        job.id_column,
        tuple(scorer.classes) if scorer.classes is not None else None,
    )
    source = _read(spark, [str(f.path) for f in files], files[0].format, set(scorer.input_types))
    layout.check(source.columns)
    frame = source.withColumn(_FILE, F.input_file_name())

    # The output schema comes from scoring a few rows on the driver, exactly as the tasks will.
    sample = frame.limit(64).toArrow()
    probe = _scored_batches(layout, model.model_dir, task_loader, scorer, None)(iter(sample.to_batches()))
    spark_schema = from_arrow_schema(next(probe).schema)
    # Tasks cast to the schema as Spark will read it back (nullability, integer widths included).
    schema = to_arrow_schema(spark_schema)
    scored = frame.mapInArrow(
        _scored_batches(layout, model.model_dir, task_loader, None, schema), spark_schema
    ).persist()

    work = partial_dir(target)
    shutil.rmtree(work, ignore_errors=True)
    good = scored.where(F.col(_REASON).isNull()).drop(_REASON, _COLUMN, _FILE)
    _write(good, work, fmt)
    bad = scored.where(F.col(_REASON).isNotNull())
    rows_rejected = bad.count()
    rows_out = good.count()
    scored.unpersist()
    if job.strict and rows_rejected:
        first = bad.limit(1).collect()[0]
        shutil.rmtree(work, ignore_errors=True)
        raise InvalidInput(
            f"{first[_FILE]}: {first[_REASON]} (--strict stops at the first bad row)",
            details=[BadRow(None, first[_COLUMN], first[_REASON])],
        )
    rejected_path = job.rejected_path
    shutil.rmtree(rejected_path, ignore_errors=True)
    if rows_rejected:
        kept = [job.id_column] if job.id_column else []
        rejects = bad.select(
            F.col(_FILE).alias("file"), *kept, F.col(_COLUMN).alias("column"), F.col(_REASON).alias("reason")
        )
        _write(rejects, rejected_path, fmt)
    _replace(work, target)
    counts = RunCounts(
        rows_in=rows_out + rows_rejected,
        rows_out=rows_out,
        rows_rejected=rows_rejected,
        parts=scored.rdd.getNumPartitions(),
        parts_resumed=0,
        rows_scored=rows_out + rows_rejected,
    )
    summary = timer.summary(
        job,
        ModelInfo(model.name, model.version, model.uri, scorer.kind, scorer.loaded.compile_source),
        engine=f"spark ({spark.sparkContext.master})",
        inputs=[str(f.path) for f in files],
        counts=counts,
        workers=spark.sparkContext.defaultParallelism,
    )
    if drift is not None:
        summary = _with_drift(summary, source, model, scorer, drift, started)
    summary.write(job.summary_path)
    return summary


def _with_drift(
    summary: RunSummary,
    source: Any,
    model: ResolvedModel,
    scorer: RuntimeScorer,
    settings: DriftSettings,
    started: datetime,
) -> RunSummary:
    """``summary`` with the drift of every input row (``source``), when the version kept a sample."""
    reference = drift_reference(model.model_dir, settings, what=f"{model.name} v{model.version}")
    if reference is None:
        return summary
    from modelport.batch.spark_drift import spark_drift

    report = spark_drift(
        source,
        reference,
        settings,
        input_types=scorer.input_types,
        started=started,
        model=model.name,
        version=str(model.version),
    )
    return summary.with_drift(report.to_dict())


def _read(spark: Any, paths: list[str], fmt: InputFormat, features: set[str]) -> Any:
    if fmt is InputFormat.PARQUET:
        return spark.read.parquet(*paths)
    if fmt is InputFormat.JSONL:
        return spark.read.json(paths)
    # Feature columns as text, like the local engine: bad values become rejected rows, not failed tasks.
    from pyspark.sql.types import StringType, StructField, StructType

    inferred = spark.read.option("header", True).option("inferSchema", True).csv(paths).schema
    schema = StructType([StructField(f.name, StringType(), True) if f.name in features else f for f in inferred.fields])
    return spark.read.option("header", True).schema(schema).csv(paths)


def _scored_batches(
    layout: OutputLayout,
    model_dir: Path,
    loader: VersionLoader,
    scorer: RuntimeScorer | None,
    schema: pa.Schema | None,
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The ``mapInArrow`` function: output rows plus rejected rows marked by a reason column."""

    def score(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        # Loaded in the task, once for all its batches: a model does not travel well in a closure.
        task_scorer = scorer or RuntimeScorer.from_model_dir(model_dir, loader)
        for batch in batches:
            files = batch.column(_FILE)
            rows = batch.drop_columns([_FILE])
            part = score_batch(rows, task_scorer, layout, first_row=0)
            good = part.output.append_column(_REASON, pa.nulls(part.output.num_rows, pa.string()))
            good = good.append_column(_COLUMN, pa.nulls(part.output.num_rows, pa.string()))
            good = good.append_column(_FILE, pa.nulls(part.output.num_rows, pa.string()))
            yield good if schema is None else good.cast(schema)
            if part.rejected.num_rows:
                yield _rejected_rows(part.rejected, files, schema or good.schema)

    return score


def _rejected_rows(rejected: pa.RecordBatch, files: pa.Array, schema: pa.Schema) -> pa.RecordBatch:
    """Rejected rows in the output schema: reason, column, file and the id column; the rest null."""
    positions = rejected.column("row")
    arrays = []
    for field in schema:
        if field.name == _REASON:
            arrays.append(rejected.column("reason"))
        elif field.name == _COLUMN:
            arrays.append(rejected.column("column"))
        elif field.name == _FILE:
            arrays.append(files.take(positions))
        elif field.name in rejected.schema.names and field.name not in {"row", "column", "reason"}:
            arrays.append(rejected.column(field.name).cast(field.type))
        else:
            arrays.append(pa.nulls(rejected.num_rows, field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _write(frame: Any, path: Path, fmt: InputFormat) -> None:
    writer = frame.write.mode("overwrite")
    if fmt is InputFormat.PARQUET:
        writer.parquet(str(path))
    elif fmt is InputFormat.CSV:
        writer.option("header", True).csv(str(path))
    else:
        writer.json(str(path))


def _replace(work: Path, target: Path) -> None:
    # A folder cannot be swapped in one rename when the target exists: move the old one aside first.
    if target.exists():
        aside = target.with_name(target.name + ".modelport-old")
        shutil.rmtree(aside, ignore_errors=True)
        os.replace(target, aside)
        os.replace(work, target)
        shutil.rmtree(aside, ignore_errors=True) if aside.is_dir() else aside.unlink()
    else:
        os.replace(work, target)
