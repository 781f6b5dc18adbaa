"""modelport's one configuration object.

Built once at an entry point (the CLI, ``serving/asgi.py``) and passed down; nothing reads the
environment anywhere else. Every field reads ``MODELPORT_<FIELD>``; nested sections use ``__``
(``MODELPORT_SERVING__PORT=9000``).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["ServingSettings", "Settings"]


class ServingSettings(BaseModel):
    """How ``modelport serve`` listens and protects itself."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    host: str = "127.0.0.1"
    """Address to bind. Binding anything but loopback makes predict routes require an API key."""
    port: int = Field(default=8000, ge=0, le=65535)
    """TCP port; 0 picks a free one (the bound port is logged)."""
    workers: int = Field(default=1, ge=1, le=64)
    """Worker processes sharing the port."""


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
