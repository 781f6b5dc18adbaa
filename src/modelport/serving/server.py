"""Run the app under uvicorn: N worker processes sharing one port, graceful stop on SIGTERM.

The socket is bound here, before any worker starts, so port 0 works: the bound port is read back
from the socket and announced (never found by binding and closing a probe socket). uvicorn owns
the signals: SIGTERM stops accepting, lets in-flight requests finish (up to
``graceful_timeout_s``), then runs each worker's lifespan shutdown.
"""

from __future__ import annotations

import errno
import json
import logging
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from modelport.errors import AddressInUse, InvalidSettings

if TYPE_CHECKING:
    import socket

    from fastapi import FastAPI

    from modelport.settings import Settings

__all__ = ["bind_socket", "run_server", "settings_environment"]

log = logging.getLogger(__name__)


def settings_environment(settings: Settings) -> dict[str, str]:
    """``MODELPORT_*`` variables that rebuild ``settings`` in a worker process (nested: ``__``)."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump(mode="json").items():
        if isinstance(value, Mapping):
            for sub, sub_value in value.items():
                if sub_value is not None:
                    env[f"MODELPORT_{name.upper()}__{sub.upper()}"] = _env_value(sub_value)
        elif value is not None:
            env[f"MODELPORT_{name.upper()}"] = _env_value(value)
    return env


def _env_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind the listening socket (port 0 picks a free port; read it back with ``getsockname``).

    A port already taken is an ``AddressInUse`` (one line, exit 4), not uvicorn's log line and exit 1.
    """
    import socket

    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise AddressInUse(
                f"port {port} on {host} is taken — is `modelport demo` running (`modelport demo --stop`)? "
                "or choose another with --port"
            ) from None
        raise InvalidSettings(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(True)  # worker processes inherit it
    return sock


def run_server(
    settings: Settings,
    *,
    app: FastAPI | None = None,
    on_bound: Callable[[str, int], None] | None = None,
) -> None:
    """Serve until SIGTERM/SIGINT. One worker runs ``app`` (or builds it from ``settings``) in this
    process; several workers each import ``modelport.serving.asgi:app`` with ``settings`` exported
    to their environment, and share one metrics directory (``modelport.serving.workers``)."""
    import uvicorn

    serving = settings.serving
    common: dict[str, Any] = {
        "host": serving.host,
        "port": serving.port,
        "workers": serving.workers,
        "timeout_graceful_shutdown": serving.graceful_timeout_s,
        "log_config": None,
        "access_log": False,
        "lifespan": "on",
        "server_header": False,
    }
    if serving.workers > 1:
        # Workers are fresh interpreters: settings reach them through the environment.
        os.environ.update(settings_environment(settings))
        config = uvicorn.Config("modelport.serving.asgi:app", factory=True, **common)
    else:
        if app is None:
            from modelport.serving.app import create_app

            app = create_app(settings)
        config = uvicorn.Config(app, **common)
    sock = bind_socket(serving.host, serving.port)
    host, port = sock.getsockname()[:2]
    if on_bound is not None:
        on_bound(host, port)
    log.info("listening on http://%s:%d with %d worker(s)", host, port, serving.workers)
    if serving.workers > 1:
        from modelport.serving.workers import WorkerSupervisor, shared_metrics_dir

        with shared_metrics_dir() as metrics_dir:
            WorkerSupervisor(config, [sock], metrics_dir).run()
    else:
        uvicorn.Server(config).run(sockets=[sock])
