"""Batch scoring, side by side on one machine and one model (the demo's gradient boosting, credit_risk/2).

Contenders, each in its own process under ``/usr/bin/time`` (wall time, peak RSS of the process tree):

* ``modelport batch score`` (local engine), Parquet in/out and CSV in/out;
* ``mlflow models predict --env-manager local`` (the real CLI), CSV in/out;
* the seed document's script: pandas ``read_csv`` in chunks, ``mlflow.sklearn.load_model``, predict,
  ``pd.concat`` every chunk, ``to_csv``;
* the bare model call: read the Parquet file whole, ``predict_proba`` once.

Then modelport again on 10x the rows, for the flat-memory claim. Inputs and the demo registry are made
once in ``benchmarks/results/cache/batch`` and reused by later runs.

    PYTHONPATH=src python benchmarks/batch_bench.py [--rows 1000000] [--big-rows 10000000]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import orjson

RESULTS = Path("benchmarks/results")
CACHE = RESULTS / "cache" / "batch"

SEED_SCRIPT = """
import sys
import mlflow.sklearn
import pandas as pd

model_dir, source, target = sys.argv[1:4]
model = mlflow.sklearn.load_model(model_dir)
chunks = []
for chunk in pd.read_csv(source, chunksize=100_000):
    scored = chunk.copy()
    scored["prediction"] = model.predict(chunk)
    chunks.append(scored)
pd.concat(chunks).to_csv(target, index=False)
"""

BARE_SCRIPT = """
import sys
import mlflow.sklearn
import numpy as np
import pyarrow.parquet as pq

model_dir, source = sys.argv[1:3]
model = mlflow.sklearn.load_model(model_dir)
frame = pq.read_table(source).to_pandas()
probabilities = model.predict_proba(frame)
predictions = model.classes_[np.argmax(probabilities, axis=1)]
print(len(predictions))
"""


@dataclass(frozen=True)
class Result:
    name: str
    rows: int
    wall_s: float
    rows_per_s: float
    peak_rss_mb: float
    engine_rows_per_s: float | None
    """modelport's own rate from its run summary: scoring only, without starting Python and MLflow."""


def _prepare(rows: int, big_rows: int) -> dict[str, Path]:
    """The demo registry and the inputs, made once and cached."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from modelport.demo import TARGET, make_credit_data, run_demo
    from modelport.registry import Registry
    from modelport.settings import Settings

    CACHE.mkdir(parents=True, exist_ok=True)
    home = (CACHE / "home").resolve()
    registry = Registry.open(Settings(home=home))
    demo = run_demo(registry, home / "demo", actor="benchmark")
    version = demo.versions["gradient_boosting"]
    model_dir = registry.local_model_dir("credit_risk", version)
    registry.store.close()
    # The ONNX conversion and its parity check happen once per version and are cached; do it here so
    # every timed run measures the steady state rather than whichever contender happens to go first.
    from modelport.runtime import load_model

    load_model(model_dir, cache_dir=Settings(home=home).cache_dir)
    paths = {"home": home, "model_dir": model_dir, "ref": Path(f"credit_risk/{version}")}
    for label, count in (("small", rows), ("big", big_rows)):
        parquet = CACHE / f"credit_{count}.parquet"
        paths[f"{label}_parquet"] = parquet.resolve()
        if not parquet.exists():
            # Written a million rows at a time so that making 10M rows needs no more memory than 1M.
            temporary = parquet.with_suffix(".tmp")
            writer: pq.ParquetWriter | None = None
            for start in range(0, count, 1_000_000):
                size = min(1_000_000, count - start)
                table = pa.Table.from_pandas(
                    make_credit_data(size, seed=start // 1_000_000).drop(columns=[TARGET]), preserve_index=False
                )
                writer = writer or pq.ParquetWriter(temporary, table.schema)
                writer.write_table(table, row_group_size=131_072)
            assert writer is not None
            writer.close()
            temporary.rename(parquet)
    csv = CACHE / f"credit_{rows}.csv"
    if not csv.exists():
        # pandas writes 66.0 where Arrow writes 66: MLflow's schema check refuses an int column for a double.
        pq.read_table(paths["small_parquet"]).to_pandas().to_csv(csv.with_suffix(".tmp"), index=False)
        csv.with_suffix(".tmp").rename(csv)
    paths["small_csv"] = csv.resolve()
    return paths


def _measure(name: str, rows: int, argv: list[str], env: dict[str, str]) -> Result:
    # GNU time reports the peak RSS of the process it waited for (children included when they are waited).
    stats = Path(tempfile.mktemp(prefix="bench-time-"))
    command = ["/usr/bin/time", "-o", str(stats), "-f", "%e %M", *argv]
    completed = subprocess.run(command, env=env, capture_output=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"{name} failed:\n{completed.stderr.decode()[-3000:]}")
    wall, peak_kb = stats.read_text().split()[-2:]
    stats.unlink()
    seconds = float(wall)
    try:
        engine_rate = float(orjson.loads(completed.stdout)["rows_per_s"])
    except (orjson.JSONDecodeError, KeyError, TypeError):
        engine_rate = None
    return Result(name, rows, seconds, round(rows / seconds), round(int(peak_kb) / 1024, 1), engine_rate)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--big-rows", type=int, default=10_000_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    paths = _prepare(args.rows, args.big_rows)
    python = sys.executable
    mlflow_cli = str(Path(python).with_name("mlflow"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in ("src", os.environ.get("PYTHONPATH", "")) if p)}
    out = Path(tempfile.mkdtemp(prefix="modelport-bench-"))
    modelport = [python, "-m", "modelport", "--home", str(paths["home"]), "batch", "score", str(paths["ref"])]
    options = ["--overwrite", "--json", "--workers", str(args.workers)]
    model_dir, csv, parquet = str(paths["model_dir"]), str(paths["small_csv"]), str(paths["small_parquet"])
    runs = [
        ("modelport batch score (Parquet -> Parquet)",
         [*modelport, parquet, str(out / "mp.parquet"), *options], args.rows),
        ("modelport batch score (CSV -> CSV)", [*modelport, csv, str(out / "mp.csv"), *options], args.rows),
        ("mlflow models predict (CSV -> CSV)",
         [mlflow_cli, "models", "predict", "-m", model_dir, "-i", csv, "-o", str(out / "mlflow.csv"), "-t", "csv",
          "--env-manager", "local"], args.rows),
        ("seed script: read_csv chunks + concat (CSV -> CSV)",
         [python, "-c", SEED_SCRIPT, model_dir, csv, str(out / "seed.csv")], args.rows),
        ("bare model call (Parquet, whole file in memory)", [python, "-c", BARE_SCRIPT, model_dir, parquet], args.rows),
        (f"modelport batch score, {args.big_rows:,} rows (Parquet -> Parquet)",
         [*modelport, str(paths["big_parquet"]), str(out / "big.parquet"), *options], args.big_rows),
    ]  # fmt: skip
    results = []
    for name, command, rows in runs:
        print(f"running: {name}", file=sys.stderr, flush=True)
        results.append(_measure(name, rows, command, env))
    shutil.rmtree(out, ignore_errors=True)
    _report(results, args.workers)
    return 0


def _report(results: list[Result], workers: int) -> None:
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, workers={workers}"
    lines = [
        f"Machine: {machine}",
        "",
        "| contender | rows | wall s | rows/s (wall) | peak RSS MB | rows/s scoring only |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r.name} | {r.rows:,} | {r.wall_s:.1f} | {r.rows_per_s:,} | {r.peak_rss_mb:,.0f} | "
        f"{'' if r.engine_rows_per_s is None else f'{r.engine_rows_per_s:,.0f}'} |"
        for r in results
    ]
    table = "\n".join(lines)
    print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "batch.json").write_bytes(orjson.dumps([asdict(r) for r in results], option=orjson.OPT_INDENT_2))
    (RESULTS / "batch.md").write_text(table + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
