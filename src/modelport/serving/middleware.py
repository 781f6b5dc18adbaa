"""Pure ASGI middleware giving every request an id (echoed in ``X-Request-ID``) and an access line.

Pure ASGI rather than ``BaseHTTPMiddleware``: it adds no task or stream copy to the hot path.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from starlette.requests import ClientDisconnect

from modelport.inference.context import new_request_id, request_id_var
from modelport.serving.status import ERROR_CODE_HEADER, error_body

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["RequestIdMiddleware"]

log = logging.getLogger("modelport.serving.access")

# A client may pass its own id (tracing across services) if it is short and printable.
_VALID_ID = re.compile(rb"^[A-Za-z0-9._:/+=-]{1,128}$")


class RequestIdMiddleware:
    """Accept a sane incoming ``X-Request-ID`` or make one; put it on the response and in the logs.

    It is also the last line of defence: an unexpected exception becomes a 500 envelope carrying
    the request id (the traceback goes to the log, never to the client). ``on_error`` is told the
    error code, for metrics.
    """

    def __init__(self, app: ASGIApp, on_error: Callable[[str], None] | None = None) -> None:
        self.app = app
        self.on_error = on_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_id(scope) or new_request_id()
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        header = (b"x-request-id", request_id.encode())
        started = time.perf_counter()
        status = 500
        started_response = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                status = message["status"]
                started_response = True
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except ClientDisconnect:
            # The client hung up mid-body: nobody to answer, and not a fault of the server.
            status = 499
            if self.on_error is not None:
                self.on_error("client_disconnected")
        except Exception:
            log.exception(
                "unexpected error while answering %s %s (request id %s)",
                scope["method"],
                scope["path"],
                request_id,
            )
            if self.on_error is not None:
                self.on_error("internal_error")
            if started_response:
                raise
            message = "internal server error; quote the request id"
            body = error_body("internal_error", message, request_id, path=scope["path"])
            await send_with_id(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (ERROR_CODE_HEADER.encode(), b"internal_error"),
                        (b"content-length", b"%d" % len(body)),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
        finally:
            level = logging.DEBUG if status < 400 else logging.WARNING if status >= 500 else logging.INFO
            if log.isEnabledFor(level):
                elapsed_ms = (time.perf_counter() - started) * 1000
                log.log(level, "%s %s -> %d in %.2f ms", scope["method"], scope["path"], status, elapsed_ms)
            request_id_var.reset(token)


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            return value.decode() if _VALID_ID.match(value) else None
    return None
