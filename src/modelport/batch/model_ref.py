"""Which model version a batch run scores with: NAME@alias, NAME/version, NAME or a model folder."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from modelport.registry import Registry

__all__ = ["ResolvedModel", "resolve_model"]


@dataclass(frozen=True)
class ResolvedModel:
    """A model version with a local folder holding its MLflow model."""

    model_dir: Path
    name: str
    version: int
    uri: str


def resolve_model(ref: str, registry: Callable[[], Registry], *, served_forms: Path | None = None) -> ResolvedModel:
    """Resolve ``ref`` in the registry (opened only when needed) and fetch its folder.

    A local MLflow model folder is taken as is (version 0): scoring a model that was never registered
    needs no registry. Unknown names, versions and aliases raise the registry's NotFound errors. Given
    ``served_forms``, a version compiled to ONNX elsewhere comes as a served-form folder there, without
    MLflow (see ``Registry.local_version``).
    """
    folder = Path(ref).expanduser()
    if (folder / "MLmodel").is_file():
        folder = folder.resolve()
        return ResolvedModel(folder, folder.name, 0, folder.as_uri())
    opened = registry()
    version, model_dir = opened.local_version(ref, served_forms=served_forms)
    return ResolvedModel(model_dir, version.name, version.version, opened.model_uri(version.name, version.version))
