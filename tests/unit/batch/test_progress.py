from __future__ import annotations

import io

from rich.console import Console

from modelport.batch import RichProgress


def test_progress_bar_shows_rows_and_rate_on_a_terminal() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=120)

    with RichProgress("scoring demo/1", console=console) as progress:
        progress.update(65_536, 0.25)
        progress.update(131_072, 0.5)

    text = screen.getvalue()
    assert "scoring demo/1" in text
    assert "131,072 rows" in text
    assert "rows/s" in text
    assert "50%" in text
