"""The data plane is transport-free: importing it loads no web framework (stream workers rely on it)."""

from __future__ import annotations

import json
import subprocess
import sys

WEB = ("fastapi", "starlette", "uvicorn")


def _loaded_top_levels(statement: str) -> set[str]:
    code = f"{statement}\nimport json, sys\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(json.loads(out))


def test_importing_the_data_plane_loads_no_web_framework() -> None:
    loaded = _loaded_top_levels("import modelport.inference, modelport.inference.codecs")
    assert "modelport" in loaded
    assert loaded.isdisjoint(WEB), sorted(loaded & set(WEB))


def test_the_check_sees_a_web_framework_when_one_is_loaded() -> None:
    # The same probe on the HTTP layer: proves the check above can fail.
    assert {"fastapi", "starlette"} <= _loaded_top_levels("import modelport.serving")
