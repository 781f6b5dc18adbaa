"""schemathesis against a live server over the real registry: every route, with and without keys.

No generated request may get a 5xx, an undocumented status, a response that contradicts the
OpenAPI document, or a wrong content type (``--checks all``). Valid-by-schema requests may still be
refused with 400 or 422 where the document cannot say more than the protocol: a predict body's
columns are the served model's signature, known only at run time.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from modelport.serving import create_app
from modelport.settings import ServingSettings, Settings
from modelport.state import StateStore
from tests.integration.serving_live import LiveServer

pytestmark = pytest.mark.slow

_CONFIG = """
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "400", "401", "403", "404", "409", "422"]

[parameters]
"path.name" = "credit"
"path.version" = "1"
"""


def _schemathesis(server: LiveServer, config: Path, *headers: str, examples: int = 20) -> tuple[int, str]:
    argv = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "--no-color",
        "run", f"{server.url}/openapi.json", "--checks", "all", "--max-examples", str(examples), "--seed", "1",
        "--request-timeout", "30",
    ]  # fmt: skip
    for header in headers:
        argv += ["-H", header]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=900)
    return done.returncode, done.stdout + done.stderr


def _generated(output: str) -> int:
    found = re.search(r"(\d+) generated", output)
    return int(found.group(1)) if found else 0


@pytest.mark.parametrize("auth", ["auto", "required"])
def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    serve_app: Any, demo_home: Path, tmp_path: Path, auth: str
) -> None:
    settings = Settings(home=demo_home, auth=auth, serving=ServingSettings(port=0, default_deployment="credit"))
    store = StateStore.open(settings)
    store.create_deployment("credit", "credit_risk", "production")
    _, admin = store.create_api_key("ops", "admin")
    server: LiveServer = serve_app(create_app(settings, store=store))
    config = tmp_path / "schemathesis.toml"
    config.write_text(_CONFIG)

    with_key, with_key_out = _schemathesis(server, config, f"Authorization: Bearer {admin}")
    without, without_out = _schemathesis(server, config, examples=5)
    store.close()
    assert with_key == 0, with_key_out[-6000:]
    assert without == 0, without_out[-6000:]
    assert _generated(with_key_out) + _generated(without_out) >= 1000
