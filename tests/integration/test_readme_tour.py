"""The README's short tour, executed line by line in a fresh folder, as a new user would type it.

Lines marked ``# refused`` must fail with one ``error[…]`` line; every other line must succeed. The
one line ending in ``&`` starts a server in the background (on a port the kernel picks, so the test
never collides with another server on the machine), ``kill %1`` stops it.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

README = Path(__file__).parents[2] / "README.md"


def _tour() -> list[str]:
    text = README.read_text()
    section = text[text.index("## A short tour") :]
    block = section[section.index("```bash\n") + len("```bash\n") : section.index("\n```", section.index("```bash"))]
    return [line for line in block.splitlines() if line.strip()]


def test_the_readme_tour_runs_top_to_bottom(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODELPORT_", "MLFLOW_"))}
    modelport = [sys.executable, "-m", "modelport"]
    background: subprocess.Popen[str] | None = None
    ran = 0
    try:
        for line in _tour():
            command, _, comment = line.partition("#")
            command = command.strip()
            if not command or command.startswith("source "):
                continue  # the test already runs the project's interpreter
            if command == "kill %1":
                assert background is not None, "kill %1 without a background job"
                background.send_signal(signal.SIGTERM)
                assert background.wait(timeout=60) == 0
                background = None
                continue
            if command.endswith("&"):
                argv = shlex.split(command[:-1])
                argv[argv.index("--port") + 1] = "0"
                background = subprocess.Popen(
                    modelport + argv[1:], cwd=tmp_path, env=env, text=True,
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                )  # fmt: skip
                assert background.stdout is not None
                first = background.stdout.readline()
                assert re.search(r"modelport serving on http://", first), first
                continue
            for part in command.split("&&"):
                argv = shlex.split(part)
                assert argv[0] == "modelport", line
                done = subprocess.run(
                    modelport + argv[1:], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
                )
                ran += 1
                if "refused" in comment:
                    assert done.returncode != 0, line
                    assert done.stderr.strip().startswith("error["), done.stderr
                    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
                else:
                    assert done.returncode == 0, f"{line}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    finally:
        if background is not None:
            background.kill()
            background.wait(timeout=30)
    assert ran >= 20  # the tour was found and really run
    assert (tmp_path / "scores.parquet").exists()
    assert (tmp_path / "bundle" / "manifest.json").exists()
