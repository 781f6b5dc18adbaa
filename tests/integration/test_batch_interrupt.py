"""Ctrl-C during ``batch score`` says what is kept and how to resume; the resumed run says so; a run that
scored nothing leaves no work folder behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from modelport.batch import partial_dir


def _score(home: Path, cwd: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODELPORT_", "MLFLOW_"))}
    env["MODELPORT_HOME"] = str(home)
    argv = [sys.executable, "-m", "modelport", "batch", "score", "credit_risk@production", *args]
    return subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_ctrl_c_keeps_the_scored_parts_and_the_same_command_resumes(demo_home: Path, tmp_path: Path) -> None:
    rows = pcsv.read_csv(demo_home / "demo" / "credit_to_score.csv")
    big = pa.concat_tables([rows] * (300_000 // rows.num_rows + 1)).slice(0, 300_000)
    pq.write_table(big, tmp_path / "in.parquet")
    args = ("in.parquet", "out.parquet", "--workers", "1", "--batch-size", "1000")
    log = partial_dir(tmp_path / "out.parquet") / "parts.jsonl"

    run = _score(demo_home, tmp_path, *args)
    deadline = time.monotonic() + 120  # a guard against a hung child, not an assertion on speed
    while run.poll() is None and time.monotonic() < deadline:
        if log.is_file() and len(log.read_text().splitlines()) >= 2:
            run.send_signal(signal.SIGINT)  # what Ctrl-C sends
            break
        time.sleep(0.005)
    _, err = run.communicate(timeout=120)
    assert run.returncode == 130, err
    [line] = err.strip().splitlines()
    assert line.startswith("interrupted: ")
    assert "scored part(s) kept in" in line
    assert line.endswith("run the same command again to resume")
    assert not (tmp_path / "out.parquet").exists()

    again = _score(demo_home, tmp_path, *args)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert "(resumed: " in out
    assert pq.read_metadata(tmp_path / "out.parquet").num_rows == 300_000
    assert not partial_dir(tmp_path / "out.parquet").exists()


def test_a_run_that_scores_nothing_leaves_no_work_folder(demo_home: Path, tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_text("age,income\n1,2\n")  # the model's other columns are missing
    run = _score(demo_home, tmp_path, "in.csv", "out.parquet", "--strict")
    _, err = run.communicate(timeout=120)
    assert run.returncode != 0
    assert err.strip().startswith("error[")
    assert not partial_dir(tmp_path / "out.parquet").exists()
    assert not (tmp_path / "out.parquet").exists()
