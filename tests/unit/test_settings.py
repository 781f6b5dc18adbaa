from __future__ import annotations

from pathlib import Path

import pytest

from modelport.settings import Settings
from modelport.settings_doc import render


def test_environment_configures_every_layer(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MODELPORT_HOME", str(tmp_path / "h"))
    monkeypatch.setenv("MODELPORT_STATE_URI", "postgresql://db/state")
    monkeypatch.setenv("MODELPORT_SERVING__PORT", "9001")
    settings = Settings()
    assert settings.resolved_home == (tmp_path / "h").resolve()
    assert settings.resolved_registry_uri == f"sqlite:///{(tmp_path / 'h').resolve()}/registry.db"
    assert settings.resolved_state_uri == "postgresql://db/state"
    assert settings.serving.port == 9001


def test_every_setting_is_documented_and_the_reference_is_current() -> None:
    text = render()
    assert "`MODELPORT_REGISTRY_URI`" in text
    assert "`MODELPORT_SERVING__PORT`" in text
    undocumented = [line for line in text.splitlines() if line.startswith("| `") and line.endswith("|  |")]
    assert undocumented == []
    reference = Path(__file__).parents[2] / "docs" / "configuration.md"
    assert reference.read_text() == text, "run: python -m modelport.settings_doc > docs/configuration.md"
