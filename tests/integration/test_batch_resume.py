"""A batch run killed with SIGKILL halfway and started again finishes with the uninterrupted output."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from modelport.batch import partial_dir

ROOT = Path(__file__).resolve().parents[2]


def _run(source: Path, target: Path, delay: float) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    command = [sys.executable, "-m", "tests.unit.batch.resume_driver", str(source), str(target), str(delay)]
    return subprocess.Popen(command, env=env, stderr=subprocess.PIPE, cwd=ROOT)


def _finished_parts(target: Path) -> int:
    log = partial_dir(target) / "parts.jsonl"
    return len(log.read_bytes().splitlines()) if log.exists() else 0


def test_sigkill_halfway_then_restart_gives_identical_output(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    rows = 4000
    table = pa.table({"id": np.arange(rows), **{f"x{i}": rng.normal(size=rows) for i in range(4)}})
    source = tmp_path / "in.parquet"
    pq.write_table(table, source)
    reference, target = tmp_path / "ref.parquet", tmp_path / "out.parquet"
    assert _run(source, reference, 0.0).wait(timeout=120) == 0

    victim = _run(source, target, 0.2)  # slow enough that the kill lands well before the end
    deadline = time.monotonic() + 120  # a guard against a hung child, not an assertion on speed
    while _finished_parts(target) < 12 and victim.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    killed_at = _finished_parts(target)
    assert victim.returncode == -signal.SIGKILL
    assert 12 <= killed_at < 40
    assert not target.exists()

    restarted = _run(source, target, 0.0)
    assert restarted.wait(timeout=120) == 0, restarted.stderr.read() if restarted.stderr else ""

    assert target.read_bytes() == reference.read_bytes()
    summary = orjson.loads(target.with_name("out.parquet.summary.json").read_bytes())
    assert summary["parts_resumed"] >= killed_at
    assert summary["rows_out"] == rows
    assert not partial_dir(target).exists()
