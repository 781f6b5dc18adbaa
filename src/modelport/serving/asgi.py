"""The ASGI entry point for uvicorn: ``uvicorn --factory modelport.serving.asgi:app``.

The only place that builds ``Settings`` for a server process: each worker process imports this
module and calls ``app()``, reading its configuration from ``MODELPORT_*`` variables (``modelport
serve`` exports them before starting the workers). CPU thread counts are set here, before numpy
or onnxruntime are imported, because OpenMP/BLAS read them once at load.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from modelport.cpu import limit_cpu_threads

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["app", "main"]


def app() -> FastAPI:
    """Build the app of one worker from the environment.

    With ``PROMETHEUS_MULTIPROC_DIR`` set (``modelport serve --workers N`` sets it; so may a
    container running several uvicorn workers), ``/metrics`` merges every worker's metrics.
    """
    from pathlib import Path

    from modelport.settings import Settings

    settings = Settings()
    limit_cpu_threads(settings.serving.cpu_threads)
    from modelport.inference.metrics import MULTIPROCESS_DIR_VARIABLE
    from modelport.serving.app import create_app
    from modelport.serving.logs import configure_logging

    configure_logging(json_logs=settings.serving.json_logs)
    metrics_dir = os.environ.get(MULTIPROCESS_DIR_VARIABLE)
    return create_app(settings, metrics_dir=Path(metrics_dir) if metrics_dir else None)


def main() -> None:
    """``python -m modelport.serving.asgi``: serve with settings from the environment (containers)."""
    from modelport.settings import Settings

    settings = Settings()
    limit_cpu_threads(settings.serving.cpu_threads)
    from modelport.serving.logs import configure_logging
    from modelport.serving.server import run_server

    configure_logging(json_logs=settings.serving.json_logs)
    run_server(settings, on_bound=lambda host, port: print(f"modelport serving on http://{host}:{port}", flush=True))


if __name__ == "__main__":
    main()
