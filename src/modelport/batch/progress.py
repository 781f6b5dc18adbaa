"""Progress reporting for batch runs: a rich bar with rows/s and ETA on a terminal, nothing otherwise."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TextColumn, TimeRemainingColumn
from rich.text import Text

__all__ = ["NullProgress", "ProgressReporter", "RichProgress"]

_STEPS = 10_000


class ProgressReporter(Protocol):
    """Told after each finished part how many rows are done and which fraction of the input is read."""

    def update(self, rows: int, consumed: float) -> None: ...

    def close(self) -> None: ...


class NullProgress:
    """Reports nothing (``--json`` mode, pipes, tests)."""

    def update(self, rows: int, consumed: float) -> None:
        pass

    def close(self) -> None:
        pass


class _RowsColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        rows = int(task.fields.get("rows", 0))
        elapsed = task.elapsed or 0.0
        rate = rows / elapsed if elapsed > 0 else 0.0
        return Text(f"{rows:,} rows  {rate:,.0f} rows/s", style="progress.data.speed")


class RichProgress:
    """A rich progress bar on ``console`` (stderr by default), by fraction of input bytes read."""

    def __init__(self, description: str, console: Console | None = None) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            _RowsColumn(),
            TimeRemainingColumn(),
            console=console or Console(stderr=True),
            transient=False,
        )
        self._task = self._progress.add_task(description, total=_STEPS, rows=0)
        self._progress.start()

    def update(self, rows: int, consumed: float) -> None:
        self._progress.update(self._task, completed=consumed * _STEPS, rows=rows)

    def close(self) -> None:
        self._progress.stop()

    def __enter__(self) -> RichProgress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
