"""A batch run of an all-numeric model never imports pandas (it costs ~0.3 s of start-up)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from modelport.demo import FEATURES

ROOT = Path(__file__).resolve().parents[2]

# Runs the CLI in a fresh interpreter and says, once it is done, whether pandas was ever imported.
_PROBE = """
import atexit, sys
atexit.register(lambda: print("pandas imported:", "pandas" in sys.modules, file=sys.stderr))
from modelport.cli import main
sys.argv = ["modelport", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_a_numeric_batch_run_does_not_import_pandas(demo_home: Path, tmp_path: Path, suffix: str) -> None:
    rng = np.random.default_rng(5)
    table = pa.table({"id": np.arange(500), **{name: rng.normal(size=500) for name in FEATURES}})
    source = tmp_path / f"in{suffix}"
    if suffix == ".csv":
        pcsv.write_csv(table, source)
    else:
        pq.write_table(table, source)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, "-c", _PROBE, "--home", str(demo_home), "batch", "score", "credit_risk/2",
               str(source), str(tmp_path / f"out{suffix}"), "--id", "id", "--overwrite", "--json"]  # fmt: skip
    # The first run of a version converts it to ONNX (skl2onnx and MLflow use pandas); the second is a
    # batch run on the cached conversion, like every run after a version's first.
    for _ in range(2):
        done = subprocess.run(command, env=env, capture_output=True, cwd=tmp_path, check=False, timeout=120)
        assert done.returncode == 0, done.stderr.decode()[-2000:]
    summary = orjson.loads(done.stdout)
    assert (summary["predictor"], summary["rows_out"]) == ("onnx", 500)
    assert "pandas imported: False" in done.stderr.decode()
