"""``modelport batch``: score files with a model version, or render a schedule that does it nightly."""

from __future__ import annotations

import shutil
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
import yaml

from modelport.batch import (
    BatchJob,
    InputFormat,
    ModelInfo,
    NullProgress,
    RichProgress,
    RunSummary,
    drift_scorer,
    score_locally,
)
from modelport.batch.checkpoint import partial_dir
from modelport.batch.model_ref import resolve_model
from modelport.batch.runtime_scorer import RuntimeScorer
from modelport.batch.schedule import ScheduleSpec, render_airflow_dag, render_cronjob
from modelport.cli.context import registry_from, settings_from, store_from
from modelport.cli.helpformat import Typer
from modelport.cli.output import err_console, json_flag, print_json
from modelport.cli.pairs import parse_pairs
from modelport.runtime import model_loader

__all__ = ["app"]


class Engine(StrEnum):
    """Where ``batch score`` runs."""

    LOCAL = "local"
    SPARK = "spark"


app = Typer(
    help="Score files with a model version; schedule such runs.\n\n"
    "Example: modelport batch score credit_risk in.csv out.parquet",
    no_args_is_help=True,
)


@app.command()
def score(
    ctx: typer.Context,
    model_ref: Annotated[str, typer.Argument(help="NAME@alias, NAME/version, NAME (= @production) or a model folder.")],
    input: Annotated[str, typer.Argument(help="A CSV/Parquet/JSON Lines file, a folder or a glob.")],
    output: Annotated[Path, typer.Argument(help="Output file; its extension picks the format.")],
    output_format: Annotated[InputFormat | None, typer.Option("--format", help="Output format.")] = None,
    input_format: Annotated[InputFormat | None, typer.Option("--input-format", help="Input format.")] = None,
    keep: Annotated[
        str | None, typer.Option(metavar="all|none|COL,COL", help="Input columns to keep in the output.")
    ] = None,
    id_column: Annotated[
        str | None, typer.Option("--id", metavar="COLUMN", help="Id column, kept in output and rejects.")
    ] = None,
    workers: Annotated[int | None, typer.Option(metavar="N", help="Scoring threads (default: the cores).")] = None,
    batch_size: Annotated[
        int | None, typer.Option(metavar="ROWS", help="Rows per batch and checkpointed part.")
    ] = None,
    strict: Annotated[bool, typer.Option(help="Fail at the first bad row instead of rejecting it.")] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing output.")] = False,
    engine: Annotated[Engine, typer.Option(help="Where to score.")] = Engine.LOCAL,
    spark_master: Annotated[
        str | None, typer.Option(metavar="URL", help="Spark master URL (default: local[*]).")
    ] = None,
    json_output: Annotated[
        bool,
        json_flag(
            "the run summary as a JSON object, no progress bar (output, inputs, model, predictor, rows_in, "
            "rows_out, rows_rejected, parts, duration_s, rows_per_s, started_utc, finished_utc, drift, …)"
        ),
    ] = False,
) -> None:
    """Score INPUT with MODEL_REF into OUTPUT: streaming, parallel, resumable, atomic.

    Example: modelport batch score credit_risk@production customers.csv scores.parquet
    """
    settings = settings_from(ctx)
    job_options: dict[str, int] = {}
    if (workers or settings.batch.workers) is not None:
        job_options["workers"] = workers or settings.batch.workers or 1
    job = BatchJob(
        input=input,
        output=output,
        output_format=output_format,
        input_format=input_format,
        keep=keep,
        id_column=id_column,
        batch_size=batch_size or settings.batch.batch_size,
        strict=strict,
        overwrite=overwrite,
        **job_options,
    )
    # A version compiled to ONNX anywhere is scored from its compiled form, without MLflow or a download.
    resolved = resolve_model(model_ref, lambda: registry_from(ctx), served_forms=settings.served_forms_dir)
    # A registered version shares its compiled form through the state store (already open: the registry
    # uses it); a local model folder (version 0) needs no state, the disk cache alone serves it.
    store = store_from(ctx) if resolved.version else None
    # Batch engines parallelise with workers: one ONNX thread per predict call.
    loader = model_loader(settings, store, intra_op_threads=1)
    if engine is Engine.SPARK:
        from modelport.batch.spark import score_with_spark

        master = spark_master or settings.batch.spark_master
        summary = score_with_spark(job, resolved, loader=loader, master=master, drift=settings.drift)
    else:
        scorer = RuntimeScorer(loader(resolved.model_dir, model=resolved.name, version=str(resolved.version)))
        info = ModelInfo(resolved.name, resolved.version, resolved.uri, scorer.kind, scorer.loaded.compile_source)
        show = not json_output and sys.stderr.isatty()
        progress = RichProgress(f"{resolved.name}/{resolved.version}") if show else NullProgress()
        what = f"{resolved.name} v{resolved.version}"
        drift = drift_scorer(scorer, resolved.model_dir, settings.drift, what=what)
        try:
            summary = score_locally(job, drift or scorer, info, progress)
        except KeyboardInterrupt:
            _interrupted(job.output)
        except BaseException:
            _forget_empty_work(job.output)  # a failed run that scored nothing leaves nothing behind
            raise
        if drift is not None:
            summary = summary.with_drift(drift.report(model=resolved.name, version=str(resolved.version)).to_dict())
            summary.write(job.summary_path)
    _report(summary, json_output)


def _report(summary: RunSummary, json_output: bool) -> None:
    if json_output:
        print_json(summary.to_dict())
        return
    rejected = f", {summary.rows_rejected:,} rejected -> {summary.rejected_output}" if summary.rows_rejected else ""
    resumed = f" (resumed: {summary.parts_resumed:,} part(s) kept from an earlier run)" if summary.parts_resumed else ""
    typer.echo(
        f"scored {summary.rows_out:,} of {summary.rows_in:,} rows with {summary.model_name}/"
        f"{summary.model_version} ({summary.predictor}) in {summary.duration_s:.1f} s "
        f"({summary.rows_per_s:,.0f} rows/s) -> {summary.output}{rejected}{resumed}"
    )


def _parts_kept(output: Path) -> int:
    log = partial_dir(output) / "parts.jsonl"
    if not log.is_file():
        return 0
    with log.open() as lines:
        return sum(1 for line in lines if line.strip())


def _forget_empty_work(output: Path) -> None:
    if _parts_kept(output) == 0:
        shutil.rmtree(partial_dir(output), ignore_errors=True)


def _interrupted(output: Path) -> NoReturn:
    """Ctrl-C: say what is kept and how to go on (the checkpoint makes the same command resume)."""
    kept = _parts_kept(output)
    if kept:
        where = partial_dir(output)
        err_console.print(
            f"interrupted: {kept} scored part(s) kept in {where}; run the same command again to resume", markup=False
        )
    else:
        _forget_empty_work(output)
        err_console.print("interrupted: nothing was scored yet", markup=False)
    raise typer.Exit(130)


@app.command()
def schedule(
    model_ref: Annotated[str, typer.Argument(help="Model reference the scheduled runs score with.")],
    input: Annotated[str, typer.Argument(help="Input as the scheduled container sees it.")],
    output: Annotated[str, typer.Argument(help="Output as the scheduled container sees it.")],
    name: Annotated[str, typer.Option(help="Name of the CronJob and DAG (a DNS label).")],
    cron: Annotated[str, typer.Option(metavar="EXPRESSION", help="When to run (cron syntax).")] = "0 2 * * *",
    image: Annotated[str, typer.Option(help="Container image with modelport installed.")] = "modelport:latest",
    namespace: Annotated[str | None, typer.Option(help="Kubernetes namespace.")] = None,
    env: Annotated[
        list[str] | None, typer.Option(metavar="KEY=VALUE", help="For the run's environment; repeatable.")
    ] = None,
    id_column: Annotated[str | None, typer.Option("--id", help="Passed to batch score.")] = None,
    keep: Annotated[str | None, typer.Option(help="Passed to batch score.")] = None,
    workers: Annotated[int | None, typer.Option(help="Passed to batch score.")] = None,
    out_dir: Annotated[Path, typer.Option(help="Folder to write the files to.")] = Path("."),
) -> None:
    """Write NAME-cronjob.yaml (Kubernetes) and NAME_dag.py (Airflow) running `batch score` on a schedule.

    Example: modelport batch schedule credit_risk /data/in.csv /data/out.parquet --name nightly-credit
    """
    score_args: list[str] = []
    for option, value in (("--id", id_column), ("--keep", keep), ("--workers", workers)):
        if value is not None:
            score_args += [option, str(value)]
    env_vars = parse_pairs(env or [], "--env")
    spec = ScheduleSpec(
        name=name,
        model_ref=model_ref,
        input=input,
        output=output,
        schedule=cron,
        image=image,
        score_args=tuple(score_args),
        env=env_vars,
        namespace=namespace,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    cronjob = out_dir / f"{name}-cronjob.yaml"
    dag = out_dir / f"{name.replace('-', '_')}_dag.py"
    cronjob.write_text(yaml.safe_dump(render_cronjob(spec), sort_keys=False))
    dag.write_text(render_airflow_dag(spec))
    typer.echo(f"wrote {cronjob} and {dag}")
