"""The installed entry points in a real subprocess: `python -m modelport` and exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest


def _run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODELPORT_", "MLFLOW_"))}
    env["MODELPORT_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "modelport", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_module_entry_point_lists_and_fails_cleanly(demo_home: Path) -> None:
    listed = _run("versions", "credit_risk", "--json", home=demo_home)
    assert listed.returncode == 0, listed.stderr
    assert [v["version"] for v in orjson.loads(listed.stdout)] == [1, 2]

    missing = _run("describe", "credit_risk", "7", home=demo_home)
    assert missing.returncode == 3
    assert missing.stderr.strip().splitlines() == ["error[version_not_found]: model 'credit_risk' has no version 7"]

    version = _run("--version", home=demo_home)
    assert version.returncode == 0
    assert version.stdout.startswith("modelport ")


def test_demo_in_the_background_serves_the_printed_curl_and_stops(tmp_path: Path) -> None:
    import shlex
    import urllib.error
    import urllib.request

    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MODELPORT_", "MLFLOW_"))}
    clean["XDG_CACHE_HOME"] = str(tmp_path / "cache")  # where demo --background notes its server
    env = clean | {"MODELPORT_HOME": str(tmp_path / "home"), "MODELPORT_SERVING__PORT": "0"}
    run = subprocess.run([sys.executable, "-m", "modelport", "demo", "--background"], env=env, capture_output=True,
                         text=True, timeout=240, check=False)  # fmt: skip
    try:
        assert run.returncode == 0, run.stderr
        curl = next(line.strip() for line in run.stdout.splitlines() if line.strip().startswith("curl "))
        args = shlex.split(curl)
        url, body = args[2], args[args.index("-d") + 1].encode()
        request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = orjson.loads(response.read())
        assert answer["model_name"] == "credit_risk"
        assert str(answer["model_version"]) == "1"
        assert answer["predictions"][0] in (0, 1)
    finally:
        # From another directory, whose default home is another one: the server is found all the same.
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        stop = subprocess.run([sys.executable, "-m", "modelport", "demo", "--stop"], env=clean, cwd=elsewhere,
                              capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert "Stopped the demo server" in stop.stdout
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url.rsplit("/", 1)[0] + "/livez", timeout=5)
