"""mask_url: the password of a connection URL never shown, the rest kept readable."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelport.settings import Settings
from modelport.urls import mask_url, mask_urls_in


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:secret@host/db", "postgresql://u:***@host/db"),
        (
            "postgresql+psycopg://u:s%40cr%3At@host:5433/db?sslmode=require",
            "postgresql+psycopg://u:***@host:5433/db?sslmode=require",
        ),
        ("postgresql://u:p@ss@host/db", "postgresql://u:***@host/db"),
        ("https://user:tok@mlflow.example.com/", "https://user:***@mlflow.example.com/"),
        ("postgresql://host/db?user=u&password=secret", "postgresql://host/db?user=u&password=***"),
    ],
)
def test_the_password_is_masked(url: str, shown: str) -> None:
    assert mask_url(url) == shown
    assert "secret" not in mask_url(url)


@pytest.mark.parametrize(
    "url",
    ["sqlite:////tmp/home/registry.db", "postgresql://u@host/db", "http://127.0.0.1:5000", "file:///tmp/artifacts"],
)
def test_urls_without_a_password_are_unchanged(url: str) -> None:
    assert mask_url(url) == url


def test_passwords_inside_free_text_are_masked() -> None:
    text = 'connection to "postgresql://bob:hunter2@db:5432/reg" failed; retry postgresql://bob@db/reg'
    masked = mask_urls_in(text)
    assert "hunter2" not in masked
    assert "postgresql://bob:***@db:5432/reg" in masked
    assert "postgresql://bob@db/reg" in masked


def test_the_registry_shows_its_uri_masked_without_connecting(tmp_path: Path) -> None:
    from modelport.registry import Registry
    from modelport.state import StateStore

    settings = Settings(home=tmp_path, registry_uri="postgresql://ops:hunter2@db.internal:5432/registry")
    store = StateStore.open(settings)
    try:
        assert Registry(settings, store).shown_uri == "postgresql://ops:***@db.internal:5432/registry"
    finally:
        store.close()
