"""Plain-dict views of the data plane for health, info and deployment routes (any protocol)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modelport.inference.dataplane import DataPlane
    from modelport.inference.pool import ModelPool, ServedVersion

__all__ = ["describe_pool", "describe_version", "health_document", "model_info", "pool_status"]


def pool_status(pool: ModelPool) -> str:
    """``healthy``; ``degraded`` (serving, but the wanted version failed to load); ``unhealthy``."""
    if not pool.ready:
        return "unhealthy"
    return "degraded" if pool.failure is not None else "healthy"


def describe_version(served: ServedVersion) -> dict[str, Any]:
    model = served.model
    return {
        "model_name": served.model_name,
        "version": served.version,
        "predictor": model.kind,
        "flavor": model.flavor,
        "model_type": model.model_type,
        "loaded_at": served.loaded_at,
    }


def describe_pool(pool: ModelPool) -> dict[str, Any]:
    failure = pool.failure
    return {
        "name": pool.name,
        "model": pool.spec.model,
        "alias": pool.spec.alias,
        "status": pool_status(pool),
        "versions": {role: describe_version(s) for role, s in pool.versions() if role not in ("pinned", "policy")}
        | {"pinned": [describe_version(s) for role, s in pool.versions() if role == "pinned"]}
        | {"policy": [describe_version(s) for role, s in pool.versions() if role == "policy"]},
        "load_error": None
        if failure is None
        else {"version": failure.version, "message": failure.message, "at": failure.at},
    }


def health_document(plane: DataPlane) -> dict[str, Any]:
    """The seed's ``/health``: status, model loaded, model URI and version, timestamp."""
    now = datetime.now(UTC)
    name = plane.default_name
    pool = None if name is None else next((p for p in plane.pools if p.name == name), None)
    if pool is None:
        statuses = [pool_status(p) for p in plane.pools]
        overall = "healthy" if statuses and all(s == "healthy" for s in statuses) else "degraded"
        return {
            "status": overall if statuses else "unhealthy",
            "model_loaded": plane.ready,
            "deployments": [describe_pool(p) for p in plane.pools],
            "timestamp": now,
        }
    active = pool.active
    failure = pool.failure
    return {
        "status": pool_status(pool),
        "model_loaded": active is not None,
        "model_uri": f"models:/{pool.spec.model}@{pool.spec.alias}",
        "model_name": pool.spec.model,
        "model_version": active.version if active else None,
        "predictor": active.model.kind if active else None,
        "deployment": pool.name,
        "load_error": None if failure is None else {"version": failure.version, "message": failure.message},
        "timestamp": now,
    }


def model_info(pool: ModelPool) -> dict[str, Any]:
    """The seed's ``/model/info``: type, features, signature, version, which predictor serves it."""
    served = pool.current()
    model = served.model
    parity = model.parity
    return {
        **describe_version(served),
        "deployment": pool.name,
        "model_uri": f"models:/{served.model_name}/{served.version}",
        "features": list(model.schema.names),
        "signature": {
            "inputs": [{"name": c.name, "type": c.dtype, "required": c.required} for c in model.schema.columns]
        },
        "predicts_probabilities": model.predicts_probabilities,
        "classes": list(model.classes) if model.classes is not None else None,
        "parity": None if parity is None else _plain(parity),
        "timestamp": datetime.now(UTC),
    }


def _plain(value: Any) -> Any:
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    fields = getattr(value, "__dataclass_fields__", None)
    if fields is not None:
        return {name: getattr(value, name) for name in fields}
    return str(value)
