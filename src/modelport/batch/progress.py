"""Progress reporting for batch runs: a rich bar of rows scored, with rows/s and ETA on a terminal, nothing
otherwise. The bar counts rows towards the run's expected total (``rowcount.py``), never bytes read."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TextColumn, TimeRemainingColumn
from rich.text import Text

from modelport.batch.rowcount import RowTotal

__all__ = ["NullProgress", "ProgressReporter", "RichProgress"]


class ProgressReporter(Protocol):
    """Told after each finished part how many rows are done, and how many the run expects in all."""

    def update(self, rows: int, expected: RowTotal) -> None: ...

    def close(self) -> None: ...


class NullProgress:
    """Reports nothing (``--json`` mode, pipes, tests)."""

    def update(self, rows: int, expected: RowTotal) -> None:
        pass

    def close(self) -> None:
        pass


class _RowsColumn(ProgressColumn):
    """``917,504/2,000,000 rows 120,000/s`` (``/~2,000,000`` while the total is an estimate)."""

    def render(self, task: Task) -> Text:
        rows = int(task.completed)
        elapsed = task.elapsed or 0.0
        rate = rows / elapsed if elapsed > 0 else 0.0
        of = "" if task.total is None else f"/{'~' if task.fields.get('estimated') else ''}{int(task.total):,}"
        return Text(f"{rows:,}{of} rows {rate:,.0f}/s", style="progress.data.speed")


class RichProgress:
    """A rich progress bar on ``console`` (stderr by default) of the rows scored; ETA from rows per second."""

    def __init__(self, description: str, console: Console | None = None) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=16),  # the line fits 80 columns
            TextColumn("{task.percentage:>3.0f}%"),
            _RowsColumn(),
            TimeRemainingColumn(),
            console=console or Console(stderr=True),
            transient=False,
        )
        self._task = self._progress.add_task(description, total=None, estimated=False)
        self._progress.start()

    def update(self, rows: int, expected: RowTotal) -> None:
        # An estimate can fall short (or a CSV hold quoted newlines): the total never goes below the rows done.
        total = max(expected.rows, rows)
        self._progress.update(self._task, completed=rows, total=total, estimated=expected.estimated, refresh=True)

    def close(self) -> None:
        self._progress.stop()

    def __enter__(self) -> RichProgress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
