"""Worker processes rebuild exactly the parent's settings from the environment it exports."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelport.cpu import THREAD_VARIABLES, limit_cpu_threads
from modelport.serving.server import bind_socket, settings_environment
from modelport.settings import ServingSettings, Settings


def test_settings_round_trip_through_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    original = Settings(
        home=tmp_path / "home",
        auth="required",
        serving=ServingSettings(
            port=0, workers=3, deployments=["a", "b"], default_deployment="a", cors_origins=["https://x.example"]
        ),
    )
    for name, value in settings_environment(original).items():
        monkeypatch.setenv(name, value)
    assert Settings() == original


def test_thread_variables_respect_what_the_user_set() -> None:
    env = {"OMP_NUM_THREADS": "4"}
    limit_cpu_threads(1, env)
    assert env["OMP_NUM_THREADS"] == "4"
    assert all(env[name] == "1" for name in THREAD_VARIABLES if name != "OMP_NUM_THREADS")


def test_port_zero_is_read_back_from_the_bound_socket() -> None:
    sock = bind_socket("127.0.0.1", 0)
    try:
        assert sock.getsockname()[1] > 0
    finally:
        sock.close()
