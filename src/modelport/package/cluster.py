"""What a cluster packaging holds: server roles, stream workers, scheduled batch runs and two overlays."""

from __future__ import annotations

from dataclasses import dataclass

from modelport import __version__
from modelport.batch.schedule import ScheduleSpec
from modelport.errors import InvalidRequest
from modelport.package.commands import StreamWorkerSpec, k8s_name
from modelport.package.image import check_image

__all__ = ["PRODUCTION", "STAGING", "ClusterSpec", "Overlay", "Sizing"]


@dataclass(frozen=True)
class Sizing:
    """Replicas (the HPA's bounds; ``min`` is also the Deployment's starting count) and resources of one pod."""

    min_replicas: int
    max_replicas: int
    cpu_request: str
    memory_request: str
    cpu_limit: str
    memory_limit: str

    def __post_init__(self) -> None:
        if not 1 <= self.min_replicas <= self.max_replicas:
            raise InvalidRequest(
                f"replicas must satisfy 1 <= min ({self.min_replicas}) <= max ({self.max_replicas})",
                details=[{"field": "replicas", "value": [self.min_replicas, self.max_replicas]}],
            )


@dataclass(frozen=True)
class Overlay:
    """One environment: its namespace and how big servers and stream workers are there."""

    name: str
    namespace: str
    servers: Sizing
    workers: Sizing


STAGING = Overlay(
    "staging",
    "modelport-staging",
    servers=Sizing(2, 4, "250m", "512Mi", "1", "1Gi"),
    workers=Sizing(1, 4, "250m", "512Mi", "1", "1Gi"),
)
PRODUCTION = Overlay(
    "production",
    "modelport",
    servers=Sizing(3, 12, "1", "1Gi", "2", "2Gi"),
    workers=Sizing(2, 16, "1", "1Gi", "2", "2Gi"),
)


@dataclass(frozen=True)
class ClusterSpec:
    """The manifests to render. No ``deployments``: one server role serving every deployment."""

    image: str = f"modelport:{__version__}"
    deployments: tuple[str, ...] = ()
    streams: tuple[StreamWorkerSpec, ...] = ()
    schedules: tuple[ScheduleSpec, ...] = ()
    registry_uri: str = "http://mlflow:5000"
    """The MLflow tracking server (no credentials: this lands in a ConfigMap)."""
    database_secret: str = "modelport-database"
    """Secret (created by you) whose key ``state-uri`` holds the PostgreSQL URL of modelport's state."""
    redis_secret: str = "modelport-redis"
    """Secret (created by you) with keys ``url``, ``address`` and ``password`` for stream workers."""
    overlays: tuple[Overlay, ...] = (STAGING, PRODUCTION)

    def __post_init__(self) -> None:
        check_image(self.image, "image")
        if "@" in self.registry_uri.split("://", 1)[-1].split("/", 1)[0]:
            raise InvalidRequest(
                "the registry URI must not carry credentials: it lands in a ConfigMap",
                details=[{"field": "registry_uri"}],
            )
        names = [self.role(d) for d in self.deployments] + [self.worker(s) for s in self.streams]
        names += [s.name for s in self.schedules]
        duplicate = {n for n in names if names.count(n) > 1}
        if duplicate:
            raise InvalidRequest(f"two objects would be named {sorted(duplicate)[0]!r}", details=[{"field": "names"}])

    @property
    def version(self) -> str:
        return self.image.split("@", 1)[0].rsplit(":", 1)[-1]

    @staticmethod
    def role(deployment: str | None) -> str:
        """The Kubernetes name of the server role for ``deployment`` (``None``: all of them)."""
        return k8s_name("modelport", deployment) if deployment else "modelport"

    @staticmethod
    def worker(stream: StreamWorkerSpec) -> str:
        return k8s_name("modelport-stream", stream.deployment)
