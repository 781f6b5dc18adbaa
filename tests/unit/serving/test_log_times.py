"""Log lines show time the one way the CLI does: UTC, stated with a Z."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from modelport.log_format import UtcFormatter


@pytest.fixture
def new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A machine whose local time is not UTC (so a local-time stamp would show)."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("new_york")
def test_text_log_lines_are_stamped_in_utc() -> None:
    record = logging.LogRecord("modelport.x", logging.INFO, __file__, 1, "hello", None, None)
    record.created = datetime(2026, 12, 1, 19, 54, 8, 123000, tzinfo=UTC).timestamp()
    record.msecs = 123.0
    record.request_id = "-"

    line = UtcFormatter("%(asctime)s %(levelname)s %(message)s").format(record)

    assert line == "2026-12-01 19:54:08.123Z INFO hello"
