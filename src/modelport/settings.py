"""modelport's one configuration object.

Built once at an entry point (the CLI, ``serving/asgi.py``) and passed down; nothing reads the
environment anywhere else. Every field reads ``MODELPORT_<FIELD>``; nested sections use ``__``
(``MODELPORT_SERVING__PORT=9000``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["RolloutSettings", "RuntimeSettings", "Section", "ServingSettings", "Settings"]


class Section(BaseModel):
    """Base of every nested section: field docstrings become descriptions (and docs/configuration.md)."""

    model_config = ConfigDict(use_attribute_docstrings=True)


class ServingSettings(Section):
    """How ``modelport serve`` listens and protects itself."""

    host: str = "127.0.0.1"
    """Address to bind. Binding anything but loopback makes predict routes require an API key."""
    port: int = Field(default=8000, ge=0, le=65535)
    """TCP port; 0 picks a free one (the bound port is logged)."""
    workers: int = Field(default=1, ge=1, le=64)
    """Worker processes sharing the port."""


class RuntimeSettings(Section):
    """How model versions are turned into predictors (``modelport.runtime``)."""

    prefer: tuple[Literal["onnx", "native", "pyfunc"], ...] = ("onnx", "native", "pyfunc")
    """Predictor kinds in order of preference; ONNX is used only when it passes the parity check."""
    intra_op_threads: int = Field(default=1, ge=1, le=64)
    """ONNX Runtime threads per predict call; keep 1 when several workers share the machine."""
    max_batch_size: int = Field(default=64, ge=1, le=100_000)
    """Most rows the adaptive batcher groups into one predict call (a bigger request goes alone)."""
    max_latency_ms: float = Field(default=2.0, ge=0.0, le=1000.0)
    """Longest a request waits for others to join its batch while another batch is running."""


class RolloutSettings(Section):
    """How servers report outcomes and run the rollout controller (``modelport.deployments``)."""

    flush_interval_s: float = Field(default=1.0, gt=0.0, le=60.0)
    """How often each server writes its per-version outcome counters to the state store."""
    controller_interval_s: float = Field(default=1.0, gt=0.0, le=60.0)
    """How often each server's rollout controller judges the running canaries it holds the lease of."""
    lease_ttl_s: float = Field(default=10.0, gt=0.0, le=600.0)
    """How long a controller lease lasts unrenewed; another server takes a canary over after this."""
    controller: bool = True
    """Run the rollout controller in this server (one active per deployment across all servers)."""


class Settings(BaseSettings):
    """Where modelport keeps its registry and state, and how its parts behave."""

    model_config = SettingsConfigDict(
        env_prefix="MODELPORT_", env_nested_delimiter="__", extra="ignore", use_attribute_docstrings=True
    )

    home: Path = Path(".modelport")
    """Folder of the embedded default: MLflow registry (SQLite + artifacts), state store, caches."""
    registry_uri: str | None = None
    """MLflow tracking/registry URI (``sqlite:///…``, ``postgresql://…``, ``http(s)://…``).
    Default: ``sqlite:///<home>/registry.db``."""
    artifact_root: str | None = None
    """Where new model artifacts are written when the registry is a database. Default: ``<home>/artifacts``."""
    state_uri: str | None = None
    """SQLAlchemy URL of modelport's own state (history, deployments, keys): SQLite or PostgreSQL.
    Default: ``sqlite:///<home>/state.db``."""
    actor: str | None = None
    """Name recorded in history for changes made by this process. Default: the OS user."""
    sample_rows: int = Field(default=1000, ge=1, le=100_000)
    """Rows of ``--sample`` kept with a registered version for parity checks and warm-up."""
    serving: ServingSettings = Field(default_factory=ServingSettings)
    runtime: RuntimeSettings = Field(default_factory=RuntimeSettings)
    """Predictor choice, ONNX threads and micro-batching."""
    rollouts: RolloutSettings = Field(default_factory=RolloutSettings)
    """Outcome reporting and the rollout controller."""

    @property
    def resolved_home(self) -> Path:
        return self.home.expanduser().resolve()

    @property
    def resolved_registry_uri(self) -> str:
        return self.registry_uri or f"sqlite:///{self.resolved_home / 'registry.db'}"

    @property
    def resolved_state_uri(self) -> str:
        return self.state_uri or f"sqlite:///{self.resolved_home / 'state.db'}"

    @property
    def resolved_artifact_root(self) -> str:
        return self.artifact_root or (self.resolved_home / "artifacts").as_uri()

    @property
    def cache_dir(self) -> Path:
        """Local copies of model versions and their compiled forms (ONNX), keyed by name and version."""
        return self.resolved_home / "cache"
