"""The argv of every process a packaged stack runs, shared by the compose file, the manifests and the tests.

The test suite starts ``mlflow server`` with ``mlflow_server_args`` exactly as the compose service does
(only host, port and folder differ), so what it proves holds for the compose stack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from modelport.errors import InvalidRequest
from modelport.package.image import MLFLOW_DATA

__all__ = ["MlflowServerSpec", "StreamWorkerSpec", "k8s_name", "mlflow_server_args"]

_LABEL = re.compile(r"[^a-z0-9-]+")


def k8s_name(*parts: str) -> str:
    """A DNS-1123 label from parts (``credit_risk`` → ``credit-risk``), at most 63 characters."""
    name = _LABEL.sub("-", "-".join(parts).lower()).strip("-")[:63].rstrip("-")
    if not name:
        raise InvalidRequest(f"cannot make a Kubernetes name out of {parts!r}")
    return name


@dataclass(frozen=True)
class MlflowServerSpec:
    """An MLflow tracking server that stores runs and models in PostgreSQL and serves the artifacts itself.

    The database URI (it holds a password) is never an argument: the server reads it from
    ``MLFLOW_BACKEND_STORE_URI``.
    """

    host: str = "0.0.0.0"
    port: int = 5000
    artifacts_destination: str = f"{MLFLOW_DATA}/artifacts"
    workers: int = 2
    service: str = "mlflow"
    """Host name clients use to reach it (allowed by MLflow's DNS-rebinding protection)."""


def mlflow_server_args(spec: MlflowServerSpec) -> list[str]:
    allowed = [f"{spec.service}:{spec.port}", f"localhost:{spec.port}", f"127.0.0.1:{spec.port}"]
    return [
        "mlflow",
        "server",
        "--host",
        spec.host,
        "--port",
        str(spec.port),
        "--workers",
        str(spec.workers),
        "--serve-artifacts",
        "--artifacts-destination",
        spec.artifacts_destination,
        "--allowed-hosts",
        ",".join(allowed),
        # uvicorn kills a worker that misses its 5 s health ping; importing MLflow on a throttled CPU (a
        # container limit, a busy host) takes longer, and the workers would be killed over and over.
        "--uvicorn-opts",
        "--timeout-worker-healthcheck 60",
    ]


@dataclass(frozen=True)
class StreamWorkerSpec:
    """A Redis Streams worker scoring one deployment (``modelport stream redis``)."""

    deployment: str
    input: str = ""
    output: str = ""
    dlq: str = ""
    group: str = "modelport"
    metrics_port: int = 9100

    def __post_init__(self) -> None:
        for field, suffix in (("input", "in"), ("output", "out"), ("dlq", "dlq")):
            if not getattr(self, field):
                object.__setattr__(self, field, f"{self.deployment}:{suffix}")
        if len({self.input, self.output, self.dlq}) != 3:
            raise InvalidRequest(
                f"stream worker {self.deployment!r}: --in, --out and --dlq must be three different streams",
                details=[{"field": "streams", "value": [self.input, self.output, self.dlq]}],
            )

    def args(self, url: str) -> list[str]:
        """``stream redis …`` as the streaming issue specifies it (the image's entrypoint is ``modelport``)."""
        return [
            "stream",
            "redis",
            self.deployment,
            "--in",
            self.input,
            "--out",
            self.output,
            "--dlq",
            self.dlq,
            "--group",
            self.group,
            "--url",
            url,
            "--metrics-port",
            str(self.metrics_port),
        ]
