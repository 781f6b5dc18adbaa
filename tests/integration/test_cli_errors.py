"""Every CLI failure is one line ``error[code]: message`` with its documented exit code, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest


def _run(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MODELPORT_", "MLFLOW_"))}
    clean |= {"MODELPORT_HOME": str(home), **env}
    argv = [sys.executable, "-m", "modelport", *args]
    return subprocess.run(argv, env=clean, capture_output=True, text=True, timeout=180, check=False)


def _one_line(done: subprocess.CompletedProcess[str], code: str, exit_code: int) -> str:
    lines = done.stderr.strip().splitlines()
    assert done.returncode == exit_code, done.stderr
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"error[{code}]: "), done.stderr
    return lines[0]


@pytest.mark.parametrize(("variable", "value"), [("MODELPORT_SAMPLE_ROWS", "0"), ("MODELPORT_SERVING__PORT", "http")])
def test_a_setting_that_does_not_validate_is_one_line(tmp_path: Path, variable: str, value: str) -> None:
    line = _one_line(_run("models", home=tmp_path, **{variable: value}), "invalid_settings", 2)
    assert variable in line


def test_a_port_already_taken_is_one_line_naming_it(demo_home: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = _one_line(_run("serve", "--port", str(port), home=demo_home), "address_in_use", 4)
    assert f"port {port}" in line
    assert "--port" in line


def test_the_spark_engine_without_pyspark_names_the_extra(demo_home: Path, tmp_path: Path) -> None:
    # A pyspark that cannot be imported stands for an installation without the [spark] extra.
    shadow = tmp_path / "no-spark" / "pyspark"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('No module named pyspark')\n")
    out = tmp_path / "scores.parquet"
    to_score = demo_home / "demo" / "credit_to_score.csv"
    done = _run(
        "batch", "score", "credit_risk@production", str(to_score), str(out), "--engine", "spark",
        home=demo_home, PYTHONPATH=os.pathsep.join([str(shadow.parent), *sys.path]),
    )  # fmt: skip
    line = _one_line(done, "missing_extra", 2)
    assert "modelport[spark]" in line
    assert not out.exists()
