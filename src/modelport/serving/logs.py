"""Logging with the request id on every line, as text or one JSON object per line."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import orjson

from modelport.inference.context import request_id_var
from modelport.log_format import UtcFormatter

__all__ = ["JsonFormatter", "RequestIdFilter", "configure_logging"]

_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    """Stamp ``record.request_id`` ("-" outside a request) so every formatter can print it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, exception if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry).decode()


def configure_logging(*, json_logs: bool, level: int = logging.INFO) -> None:
    """Route modelport's and uvicorn's loggers through one handler that prints the request id.

    uvicorn's own access log stays off (the request-id middleware writes a better line): uvicorn
    decides per connection with ``hasHandlers()``, so that logger gets no handler at all.
    """
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if json_logs else UtcFormatter(_TEXT_FORMAT))
    for name in ("modelport", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
