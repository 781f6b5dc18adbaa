from __future__ import annotations

import pytest

from modelport.errors import InvalidAlias, InvalidRequest
from modelport.registry.names import normalize_alias, parse_ref, validate_model_name


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Production", "production"),
        ("STAGING", "staging"),
        ("champion", "champion"),
        (" canary-1 ", "canary-1"),
    ],
)
def test_stage_names_and_aliases_normalize_to_one_alias(given: str, expected: str) -> None:
    assert normalize_alias(given) == expected


@pytest.mark.parametrize("bad", ["latest", "v3", "", "two words", "x" * 65, "-lead"])
def test_aliases_mlflow_would_refuse_are_refused_with_a_clear_error(bad: str) -> None:
    with pytest.raises(InvalidAlias, match="invalid alias"):
        normalize_alias(bad)


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("credit", ("credit", None, "production")),
        ("credit@Staging", ("credit", None, "staging")),
        ("credit/3", ("credit", 3, None)),
        ("models:/credit/Production", ("credit", None, "production")),
        ("models:/credit@champion", ("credit", None, "champion")),
    ],
)
def test_model_references(ref: str, expected: tuple[str, int | None, str | None]) -> None:
    assert parse_ref(ref) == expected


@pytest.mark.parametrize("bad", ["../etc", "a b", "", "-x", "x" * 129])
def test_unsafe_model_names_are_refused(bad: str) -> None:
    with pytest.raises(InvalidRequest):
        validate_model_name(bad)
