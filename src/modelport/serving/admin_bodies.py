"""The bodies and query parameters of the admin and feedback routes, as typed models.

Parsed strictly (no ``"5"`` for 5, no ``true`` for 1, unknown fields refused), so a wrong type is a
422 ``invalid_field`` naming the field, never a 500 or a silent conversion. The OpenAPI document
shows the same models.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from modelport.errors import InvalidField
from modelport.model_format import BadRow

__all__ = [
    "ABBody",
    "BlueGreenBody",
    "CanaryBody",
    "FeedbackBody",
    "ReasonBody",
    "ShadowBody",
    "parse_body",
    "parse_mde",
]

Version = Annotated[int, Field(ge=1, le=2**31 - 1)]
Reason = Annotated[str, Field(max_length=1000)]


class _Body(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class ReasonBody(_Body):
    """``switch``, ``promote``, ``abort``, ``rollback``: an optional reason for the history."""

    reason: Reason | None = None


class CanaryBody(ReasonBody):
    """Types and sizes here; the canary checks its own rules (steps increasing to 100, rates within [0, 1])."""

    version: Version
    steps: Annotated[list[float], Field(min_length=1, max_length=20)] = [5, 25, 50, 100]
    interval_s: Annotated[float, Field(gt=0, le=86_400)] = 60.0
    max_error_rate: float = 0.01
    max_p99_ms: float | None = None
    min_requests: Annotated[int, Field(ge=0, le=2**31 - 1)] = 200
    max_error_rate_increase: float | None = None
    fallback: bool = True


class ABBody(ReasonBody):
    versions: Annotated[list[Version], Field(min_length=2, max_length=10)]
    weights: Annotated[list[float], Field(min_length=2, max_length=10)] | None = None
    key: Annotated[str, Field(min_length=1, max_length=200)] = "header:X-Modelport-Key"


class ShadowBody(ReasonBody):
    version: Version
    sample: Annotated[float, Field(gt=0, le=1)] = 1.0


class BlueGreenBody(ReasonBody):
    version: Version


class FeedbackBody(_Body):
    """One observation about a request (``request_id``) or a user (``key``): an ``outcome`` or a ``label``."""

    request_id: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    key: Annotated[str, Field(min_length=1, max_length=256)] | None = None
    outcome: float | None = None
    label: Annotated[str, Field(max_length=256)] | int | bool | None = None


_Model = TypeVar("_Model", bound=BaseModel)


def parse_body(model: type[_Model], document: Any) -> _Model:
    """``document`` (decoded JSON) as ``model``, or ``InvalidField`` naming every field at fault."""
    if not isinstance(document, dict):
        raise InvalidField("the body must be a JSON object", details=[BadRow(None, None, "not an object")])
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        raise _invalid(exc) from None


def parse_mde(raw: str | None) -> float | None:
    """The ``?mde=`` query parameter of the A/B report: a positive number, or absent."""
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise InvalidField(
            f"mde must be a positive number, got {raw[:40]!r}", details=[BadRow(None, "mde", "not a positive number")]
        )
    return value


def _invalid(exc: ValidationError) -> InvalidField:
    problems = [BadRow(None, ".".join(str(p) for p in e["loc"]) or None, e["msg"]) for e in exc.errors()[:20]]
    first = problems[0]
    return InvalidField(f"field {first.column!r}: {first.problem}", details=problems)
