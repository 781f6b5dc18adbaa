"""``compose.yaml``: PostgreSQL, an MLflow tracking server on it, modelport replicas following it.

Pure: ``render_compose(spec)`` returns the files by relative path. Secrets are never written into
``compose.yaml``: it names variables that ``.env`` provides (the CLI writes one with a random password;
``.env.example`` shows its shape). Profiles add a Redis stream worker (``--profile stream``) and a
batch scoring job to run from a scheduler (``--profile batch``, ``docker compose run --rm batch``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from modelport import __version__
from modelport.batch.schedule import ScheduleSpec, score_command
from modelport.errors import InvalidRequest
from modelport.package.commands import MlflowServerSpec, StreamWorkerSpec, mlflow_server_args
from modelport.package.image import HOME, MLFLOW_DATA, PORT, check_image

__all__ = ["ComposeSpec", "compose_document", "env_file", "render_compose"]

_DB_USER = "modelport"
_INITDB = "-- modelport's own state lives beside MLflow's database.\nCREATE DATABASE modelport;\n"


@dataclass(frozen=True)
class ComposeSpec:
    """The compose stack; ``deployment`` is what the stream worker scores, ``model`` what the batch job scores."""

    image: str = f"modelport:{__version__}"
    replicas: int = 2
    deployment: str = "credit_risk"
    model: str = "credit_risk"
    postgres_image: str = "postgres:16.4-bookworm"
    redis_image: str = "redis:7.4.1-bookworm"
    mlflow: MlflowServerSpec = field(default_factory=MlflowServerSpec)
    host_port: int = PORT

    def __post_init__(self) -> None:
        for what in ("image", "postgres_image", "redis_image"):
            check_image(getattr(self, what), what)
        if not 1 <= self.replicas <= 32:
            raise InvalidRequest(f"replicas must be 1 to 32, not {self.replicas}", details=[{"field": "replicas"}])

    @property
    def stream(self) -> StreamWorkerSpec:
        return StreamWorkerSpec(self.deployment)

    @property
    def batch(self) -> ScheduleSpec:
        name = self.model.lower().replace("_", "-")
        return ScheduleSpec(name=name, model_ref=f"{self.model}@production", input="/data/in.parquet",
                            output="/data/out.parquet", image=self.image)  # fmt: skip


def _required(variable: str) -> str:
    return f"${{{variable}:?set {variable} in .env (see .env.example)}}"


def _probe(port: int, path: str) -> list[str]:
    code = f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{port}{path}', timeout=3)"
    return ["CMD", "python", "-c", code]


def _hardened() -> dict[str, Any]:
    return {"read_only": True, "cap_drop": ["ALL"], "security_opt": ["no-new-privileges:true"]}


def _modelport_service(spec: ComposeSpec, command: list[str]) -> dict[str, Any]:
    return {
        "image": spec.image,
        "command": command,
        "environment": {
            "MODELPORT_REGISTRY_URI": f"http://{spec.mlflow.service}:{spec.mlflow.port}",
            "MODELPORT_STATE_URI": _required("MODELPORT_STATE_URI"),
        },
        "depends_on": {
            "postgres": {"condition": "service_healthy"},
            spec.mlflow.service: {"condition": "service_healthy"},
        },
        **_hardened(),
        "tmpfs": ["/tmp", HOME],
    }


def compose_document(spec: ComposeSpec) -> dict[str, Any]:
    """The compose file as a mapping (the compose specification's format)."""
    mlflow = spec.mlflow
    serve = _modelport_service(spec, ["serve"])
    serve |= {
        "deploy": {"replicas": spec.replicas},
        "ports": [f"127.0.0.1:{spec.host_port}-{spec.host_port + spec.replicas - 1}:{PORT}"],
        "restart": "unless-stopped",
    }
    stream = _modelport_service(spec, spec.stream.args("redis://redis:6379/0"))
    stream["depends_on"]["redis"] = {"condition": "service_healthy"}
    stream |= {
        "profiles": ["stream"],
        "healthcheck": {"test": _probe(spec.stream.metrics_port, "/readyz"), "interval": "10s", "retries": 3},
        "restart": "unless-stopped",
    }
    batch = _modelport_service(spec, score_command(spec.batch)[1:])
    batch |= {"profiles": ["batch"], "volumes": ["./data:/data"], "healthcheck": {"disable": True}}
    # No top-level ``name``: the compose specification's published JSON schema predates it.
    return {
        "services": {
            "postgres": {
                "image": spec.postgres_image,
                "environment": {
                    "POSTGRES_USER": _DB_USER,
                    "POSTGRES_PASSWORD": _required("POSTGRES_PASSWORD"),
                    "POSTGRES_DB": "mlflow",
                },
                "volumes": ["postgres-data:/var/lib/postgresql/data", "./initdb:/docker-entrypoint-initdb.d:ro"],
                # Over TCP: during initialisation the server listens on its socket only, and is not ready.
                "healthcheck": {
                    "test": ["CMD", "pg_isready", "-h", "127.0.0.1", "-U", _DB_USER, "-d", "modelport"],
                    "interval": "5s",
                    "timeout": "3s",
                    "retries": 30,
                },
                "restart": "unless-stopped",
            },
            mlflow.service: {
                "image": spec.image,
                "entrypoint": mlflow_server_args(mlflow),
                "environment": {"MLFLOW_BACKEND_STORE_URI": _required("MLFLOW_BACKEND_STORE_URI")},
                "depends_on": {"postgres": {"condition": "service_healthy"}},
                "volumes": [f"mlflow-data:{MLFLOW_DATA}"],
                "ports": [f"127.0.0.1:{mlflow.port}:{mlflow.port}"],
                "healthcheck": {"test": _probe(mlflow.port, "/health"), "interval": "5s", "retries": 30},
                **_hardened(),
                "tmpfs": ["/tmp"],
                "restart": "unless-stopped",
            },
            "modelport": serve,
            "redis": {
                "image": spec.redis_image,
                "profiles": ["stream"],
                "command": ["redis-server", "--appendonly", "yes"],
                "volumes": ["redis-data:/data"],
                "healthcheck": {"test": ["CMD", "redis-cli", "ping"], "interval": "5s", "retries": 20},
                "restart": "unless-stopped",
            },
            "stream-redis": stream,
            "batch": batch,
        },
        "volumes": {"postgres-data": {}, "mlflow-data": {}, "redis-data": {}},
    }


def env_file(password: str) -> str:
    """The ``.env`` the stack reads its secrets from (``password`` of the PostgreSQL user)."""
    return "\n".join(
        [
            "# Secrets of the compose stack; keep this file out of version control.",
            f"POSTGRES_PASSWORD={password}",
            f"MLFLOW_BACKEND_STORE_URI=postgresql+psycopg://{_DB_USER}:{password}@postgres:5432/mlflow",
            f"MODELPORT_STATE_URI=postgresql://{_DB_USER}:{password}@postgres:5432/modelport",
            "",
        ]
    )


def render_compose(spec: ComposeSpec) -> dict[str, str]:
    """``compose.yaml``, ``.env.example``, a ``.gitignore`` keeping ``.env`` out of version control, and the
    database initialisation script, by relative path."""
    return {
        "compose.yaml": yaml.safe_dump(compose_document(spec), sort_keys=False, width=120),
        ".env.example": env_file("change-me"),
        ".gitignore": ".env\n",
        "initdb/10-modelport.sql": _INITDB,
    }
