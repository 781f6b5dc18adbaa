"""The batch progress bar counts rows scored towards the rows expected (never bytes read), on real files."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
from rich.console import Console

from modelport.batch import (
    BatchJob,
    ModelInfo,
    RichProgress,
    RowTotal,
    discover_inputs,
    expected_rows,
    score_locally,
)
from tests.unit.batch.sklearn_scorer import SklearnScorer

FRAME = re.compile(r"([\d,]+)/(~?)([\d,]+) rows")


def _frames(text: str) -> list[tuple[int, bool, int]]:
    return [
        (int(done.replace(",", "")), bool(about), int(total.replace(",", "")))
        for done, about, total in FRAME.findall(text)
    ]


def test_a_csv_run_counts_rows_up_to_the_real_row_count(
    tmp_path: Path, table: pa.Table, scorer: SklearnScorer, model_info: ModelInfo
) -> None:
    # ~10 MB of CSV: several of the parser's 4 MiB blocks, which it reads ahead of the rows it hands out
    # (by bytes read, the bar used to reach 100 % with half the rows still to score).
    big = pa.concat_tables([table] * 100)
    pcsv.write_csv(big, tmp_path / "in.csv")
    screen = io.StringIO()
    progress = RichProgress("demo/1", console=Console(file=screen, force_terminal=True, width=120))
    job = BatchJob(input=str(tmp_path / "in.csv"), output=tmp_path / "out.parquet", workers=2, batch_size=10_000)

    summary = score_locally(job, scorer, model_info, progress)

    frames = _frames(screen.getvalue())
    assert len(frames) >= summary.parts  # one frame per finished part at least
    done = [d for d, _, _ in frames]
    assert done == sorted(done)
    assert {(about, total) for _, about, total in frames} == {(False, 100_000)}  # known from the start
    assert frames[-1] == (100_000, False, 100_000) == (summary.rows_in, False, big.num_rows)
    assert "100%" in screen.getvalue()


def test_rows_are_counted_per_format_and_estimated_beyond_the_limit(tmp_path: Path, table: pa.Table) -> None:
    pcsv.write_csv(table, tmp_path / "a.csv")
    pq.write_table(table.slice(0, 300), tmp_path / "b.parquet")
    (tmp_path / "c.jsonl").write_text('{"x": 1}\n{"x": 2}\n{"x": 3}')  # no newline after the last line
    (tmp_path / "d.csv").write_text("x\n")  # a header and no rows
    files = discover_inputs(tmp_path)

    assert expected_rows(files) == RowTotal(1000 + 300 + 3 + 0)

    csv = discover_inputs(tmp_path / "a.csv")
    estimate = expected_rows(csv, count_limit_bytes=1000, sample_bytes=16_384)
    assert estimate.estimated
    assert abs(estimate.rows - 1000) < 50


def test_an_estimate_is_marked_and_never_below_the_rows_done() -> None:
    screen = io.StringIO()
    with RichProgress("demo/1", console=Console(file=screen, force_terminal=True, width=120)) as progress:
        progress.update(65_536, RowTotal(100_000, estimated=True))
        progress.update(131_072, RowTotal(100_000, estimated=True))  # the estimate fell short
        progress.update(140_000, RowTotal(140_000))

    frames = _frames(screen.getvalue())
    assert frames[0] == (65_536, True, 100_000)
    assert (131_072, True, 131_072) in frames
    assert frames[-1] == (140_000, False, 140_000)
    assert "/s" in screen.getvalue()
