"""Converting MLflow's model-version records into modelport's ``ModelVersionInfo``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

from modelport.types import ColumnSpec, ModelVersionInfo

__all__ = ["version_info"]


def _columns(schema: Any) -> tuple[ColumnSpec, ...]:
    if schema is None:
        return ()
    cols = []
    for i, spec in enumerate(schema.inputs):
        name = getattr(spec, "name", None) or f"output_{i}"
        kind = getattr(spec, "type", None)
        type_name = getattr(kind, "name", None) or str(kind)
        cols.append(ColumnSpec(name=name, dtype=type_name, required=bool(getattr(spec, "required", True))))
    return tuple(cols)


def _signature(source: str) -> Any:
    from mlflow.models import Model

    # Model.load refuses file:// URIs (it checks os.path.exists on the URI), so hand it a path.
    parsed = urlparse(source)
    location = url2pathname(parsed.path) if parsed.scheme == "file" else source
    try:
        return Model.load(location).signature
    except Exception:
        return None


def version_info(mv: Any, *, aliases: list[str] | None = None, with_signature: bool = True) -> ModelVersionInfo:
    tags = dict(mv.tags or {})
    signature = _signature(mv.source) if with_signature else None
    proba = tags.get("modelport.predicts_probabilities")
    return ModelVersionInfo(
        name=mv.name,
        version=int(mv.version),
        aliases=tuple(sorted(mv.aliases or aliases or [])),
        created=datetime.fromtimestamp(mv.creation_timestamp / 1000, tz=UTC),
        inputs=_columns(signature.inputs if signature else None),
        outputs=_columns(signature.outputs if signature else None),
        tags={k: v for k, v in tags.items() if not k.startswith("modelport.")},
        description=mv.description or "",
        flavor=tags.get("modelport.flavor", ""),
        source=tags.get("modelport.source", mv.source),
        predicts_probabilities=None if proba is None else proba == "true",
    )
