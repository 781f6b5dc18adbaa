"""The local engine: stream, score in parallel threads, checkpoint each part, write the output atomically.

Threads, not processes: Arrow parsing, onnxruntime and scikit-learn's tree predictors all release the GIL,
so N threads keep N cores busy without pickling batches between processes or loading the model N times.
At most ``2 * workers`` chunks are in flight, which bounds memory at roughly
``(2 * workers + 1) * batch_size * row size`` plus the model, whatever the input size.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import pyarrow as pa

from modelport import __version__
from modelport.batch.checkpoint import Checkpoint, PartRecord, fingerprint, partial_dir
from modelport.batch.job import BatchJob
from modelport.batch.layout import OutputLayout, parse_keep
from modelport.batch.part import score_batch
from modelport.batch.progress import NullProgress, ProgressReporter
from modelport.batch.rowcount import RowTotal, expected_rows
from modelport.batch.scorer import ModelInfo, Scorer
from modelport.batch.sink import OutputStream, part_suffix, write_part
from modelport.batch.source import Chunk, InputFile, discover_inputs, read_chunks
from modelport.batch.summary import RunCounts, RunSummary, RunTimer
from modelport.errors import AlreadyExists, InvalidInput
from modelport.model_format import BadRow

__all__ = ["score_locally"]

_OUTPUT = "part"
_REJECTED = "rejected"


@dataclass(frozen=True)
class _Pending:
    index: int
    rows: int
    future: Future[tuple[PartRecord, BadRow | None]] | None


def score_locally(
    job: BatchJob, scorer: Scorer, model: ModelInfo, progress: ProgressReporter | None = None
) -> RunSummary:
    """Run ``job`` on this machine and return its summary (also written next to the output)."""
    timer = RunTimer()
    target = job.target
    if target.exists() and not job.overwrite:
        raise AlreadyExists(f"{target} exists; pass --overwrite to replace it", details=[{"output": str(target)}])
    own = (target, job.rejected_path, job.summary_path, partial_dir(target))
    files = discover_inputs(job.input, job.input_format, exclude=own)
    run = _Run(job, scorer, Checkpoint.open(partial_dir(target), _fingerprint(job, files, model)))
    resumed = len(run.checkpoint.done)
    run.score(files, progress or NullProgress())
    counts = run.commit(resumed)
    inputs = [str(f.path) for f in files]
    summary = timer.summary(job, model, engine="local", inputs=inputs, counts=counts, workers=job.workers)
    summary.write(job.summary_path)
    run.checkpoint.remove()
    return summary


class _Run:
    """One invocation: scores the parts the checkpoint lacks and appends every part, in order, to the output."""

    def __init__(self, job: BatchJob, scorer: Scorer, checkpoint: Checkpoint) -> None:
        self.job = job
        self.scorer = scorer
        self.checkpoint = checkpoint
        classes = tuple(scorer.classes) if scorer.classes is not None else None
        self.layout = OutputLayout(parse_keep(job.keep, job.id_column), job.id_column, classes)
        self.suffix = part_suffix(job.format)
        # The unfinished output lives in the work folder: an input glob or folder never picks it up.
        self.output = OutputStream(
            job.target, checkpoint.folder / "output.tmp", job.format, empty_schema=_empty_schema(self.layout)
        )
        self.rejected = OutputStream(
            job.rejected_path, checkpoint.folder / "rejected.tmp", job.format, empty_schema=pa.schema([])
        )
        self.rows_done = 0
        self.rows_scored = 0

    def score(self, files: list[InputFile], progress: ProgressReporter) -> None:
        """Stream ``files``, keeping at most ``2 * workers`` chunks in flight, finishing them in order."""
        pool = ThreadPoolExecutor(self.job.workers, thread_name_prefix="modelport-batch")
        in_flight: deque[_Pending] = deque()
        expected = expected_rows(files)
        chunks = read_chunks(files, batch_size=self.job.batch_size, text_columns=self.scorer.input_types)
        try:
            for chunk in chunks:
                done = chunk.index in self.checkpoint.done
                future = None if done else pool.submit(self._process, chunk)
                in_flight.append(_Pending(chunk.index, chunk.batch.num_rows, future))
                while len(in_flight) > 2 * self.job.workers:
                    self._finish(in_flight.popleft(), progress, expected)
            while in_flight:
                self._finish(in_flight.popleft(), progress, expected)
            progress.update(self.rows_done, RowTotal(self.rows_done))  # every row read: the real total
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            self.output.abort()
            self.rejected.abort()
            self.checkpoint.close()
            raise
        finally:
            progress.close()
        pool.shutdown()

    def _process(self, chunk: Chunk) -> tuple[PartRecord, BadRow | None]:
        """In a worker thread: score one chunk and write its part files."""
        self.layout.check(chunk.batch.schema.names)
        part = score_batch(chunk.batch, self.scorer, self.layout, first_row=chunk.first_row)
        if self.job.strict and part.first_rejection is not None:
            return PartRecord(chunk.index, chunk.batch.num_rows, 0, 0), part.first_rejection
        fmt = self.job.format
        if part.output.num_rows:
            write_part(part.output, self.checkpoint.part_path(chunk.index, _OUTPUT, self.suffix), fmt)
        if part.rejected.num_rows:
            write_part(part.rejected, self.checkpoint.part_path(chunk.index, _REJECTED, self.suffix), fmt)
        return PartRecord(chunk.index, chunk.batch.num_rows, part.output.num_rows, part.rejected.num_rows), None

    def _finish(self, pending: _Pending, progress: ProgressReporter, expected: RowTotal) -> None:
        """In input order: checkpoint a scored part (or stop at the first bad row with --strict), then
        append it to the output while later parts are still being scored."""
        if pending.future is not None:
            record, first_rejection = pending.future.result()
            if first_rejection is not None:
                raise InvalidInput(
                    f"row {first_rejection.row}: {first_rejection.problem} (--strict stops at the first bad row)",
                    details=[first_rejection],
                )
            self.checkpoint.record(record)
            self.rows_scored += record.rows_in
        done = self.checkpoint.done[pending.index]
        if done.rows_out:
            self.output.append(self.checkpoint.part_path(done.index, _OUTPUT, self.suffix))
        if done.rows_rejected:
            self.rejected.append(self.checkpoint.part_path(done.index, _REJECTED, self.suffix))
        self.rows_done += pending.rows
        progress.update(self.rows_done, expected)

    def commit(self, resumed: int) -> RunCounts:
        """Rename the output (and the rejected rows, if any) into place, each at once."""
        records = [self.checkpoint.done[index] for index in sorted(self.checkpoint.done)]
        rejected = sum(r.rows_rejected for r in records)
        if self.rejected.parts:
            self.rejected.commit()
        else:
            self.rejected.abort()
            self.job.rejected_path.unlink(missing_ok=True)
        self.output.commit()
        return RunCounts(
            rows_in=sum(r.rows_in for r in records),
            rows_out=sum(r.rows_out for r in records),
            rows_rejected=rejected,
            parts=len(records),
            parts_resumed=resumed,
            rows_scored=self.rows_scored,
        )


def _fingerprint(job: BatchJob, files: list[InputFile], model: ModelInfo) -> str:
    # Everything that changes the bytes of the output, and nothing else: --workers and --strict may
    # change between a run and its restart.
    return fingerprint(
        {
            "inputs": [[str(f.path), f.format.value, f.size, f.mtime_ns] for f in files],
            "output": str(job.target),
            "format": job.format.value,
            "keep": job.keep,
            "id": job.id_column,
            "batch_size": job.batch_size,
            "parts": part_suffix(job.format),
            "model": [model.name, model.version, model.uri, model.predictor],
            "modelport": __version__,
        }
    )


def _empty_schema(layout: OutputLayout) -> pa.Schema:
    kept = [] if isinstance(layout.keep, str) else list(layout.keep)
    return pa.schema([(name, pa.string()) for name in kept] + [("prediction", pa.null())])
