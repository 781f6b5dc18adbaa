"""Names users type: model names, alias names and model references (pure functions)."""

from __future__ import annotations

import re

from modelport.errors import InvalidAlias, InvalidRequest, ModelNotFound

__all__ = ["DEFAULT_ALIAS", "normalize_alias", "parse_ref", "validate_model_name"]

DEFAULT_ALIAS = "production"
_MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_ALIAS = re.compile(r"^[a-z_][a-z0-9_-]{0,63}$")
_VERSION_LIKE = re.compile(r"^v\d+$")


def validate_model_name(name: str) -> str:
    """Model names become folder names and URI parts, so they are kept to a safe alphabet."""
    if not _MODEL_NAME.match(name):
        raise InvalidRequest(
            f"invalid model name {name!r}: use letters, digits, '_', '.', '-' (at most 128, starting alphanumeric)"
        )
    return name


def normalize_alias(alias: str) -> str:
    """Lower-case an alias, so MLflow stage names (``Production``, ``STAGING``) name the same alias."""
    normalized = alias.strip().lower()
    if not _ALIAS.match(normalized) or normalized == "latest" or _VERSION_LIKE.match(normalized):
        raise InvalidAlias(f"invalid alias {alias!r}: use letters, digits, '_' or '-', not 'latest' and not like 'v3'")
    return normalized


def parse_ref(ref: str) -> tuple[str, int | None, str | None]:
    """Split a model reference into (name, version, alias); exactly one of version/alias is set.

    Accepted: ``NAME`` (= ``NAME@production``), ``NAME@alias``, ``NAME/3``, ``NAME/Production``
    and the same behind ``models:/``.
    """
    body = ref.removeprefix("models:/")
    if "@" in body:
        name, _, alias = body.partition("@")
        return validate_model_name(name), None, normalize_alias(alias)
    if "/" in body:
        name, _, tail = body.partition("/")
        if tail.isdigit():
            return validate_model_name(name), int(tail), None
        return validate_model_name(name), None, normalize_alias(tail)
    if not body:
        raise ModelNotFound("empty model reference")
    return validate_model_name(body), None, DEFAULT_ALIAS
