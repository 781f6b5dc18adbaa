"""The request being handled, as a context value every front end sets and the core reads.

An HTTP middleware, a stream worker and a batch job each set ``request_id_var`` around the work of
one request (or record); routing keys keyless requests by it, outcomes and logs carry it.
"""

from __future__ import annotations

import contextvars
import uuid

__all__ = ["current_request_id", "new_request_id", "request_id_var"]

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("modelport_request_id", default=None)
"""The id of the request being handled by this task (``None`` outside one)."""


def new_request_id() -> str:
    """A fresh random id (hex, 32 characters)."""
    return uuid.uuid4().hex


def current_request_id() -> str:
    """The id of the request being handled, or a fresh one when none is set."""
    return request_id_var.get() or new_request_id()
