"""First prediction of a fresh replica, and first vs second batch run: what compiling once saves.

    PYTHONPATH=src python -m benchmarks.startup_bench [--repeat 3] [--rows 1000000] [--output results.md]
        [--postgres postgresql://USER@HOST:PORT]

Makes the demo registry and state store (SQLite in a temporary folder, or with ``--postgres`` both in one
new PostgreSQL database on that server, dropped at the end), promotes the gradient-boosting version
(``credit_risk/2``) and deploys it. A *fresh replica* is ``modelport serve`` with its own empty
``MODELPORT_HOME`` and the same registry and state store: another machine, as far as modelport can
tell. Timed from process start to the first 200 on ``/predict``, for:

* **convert** — the behaviour before compile-once: nothing stored, the replica converts and checks
  parity itself (the benchmark empties ``modelport_compiled`` before each run);
* **compiled, files through MLflow** — the first step of compile-once: the stored ONNX bytes are found,
  but the version's alias and files come through MLflow (the benchmark removes the links of
  ``modelport_compiled_versions`` before each run);
* **compiled once** — after ``modelport compile credit_risk@production`` (timed too): the replica serves
  the version's compiled form from the state store, without MLflow;
* **mlflow models serve** — ``models:/credit_risk/2`` with ``--env-manager local``, to its first 200 on
  ``/invocations``.

Then ``batch score`` of ``--rows`` rows in three fresh-ish homes: the first run converts, a second home
finds the result in the state store, the same home again finds it on disk. Each under ``/usr/bin/time``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BatchRun = tuple[str, float, float, float, str]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="fresh replicas started per contender")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the batch runs")
    parser.add_argument("--output", type=Path, help="also write the markdown tables here")
    parser.add_argument("--postgres", metavar="URL", help="registry and state in one new database on this server")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="modelport-startup-") as tmp, _database(args.postgres, Path(tmp)) as uri:
        report = _bench(Path(tmp), args.repeat, args.rows, uri)
    print(report)
    if args.output:
        args.output.write_text(report)
    return 0


@contextmanager
def _database(server: str | None, tmp: Path) -> Iterator[str | None]:
    """None (SQLite files), or the URL of a new PostgreSQL database on ``server``, dropped afterwards."""
    if server is None:
        yield None
        return
    import sqlalchemy as sa

    name = f"modelport_startup_{os.getpid()}"
    admin = sa.create_engine(f"{server.rstrip('/')}/postgres".replace("postgresql://", "postgresql+psycopg://", 1),
                             isolation_level="AUTOCOMMIT")  # fmt: skip
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    try:
        yield f"{server.rstrip('/')}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def _bench(tmp: Path, repeat: int, rows: int, database: str | None) -> str:
    base = tmp / "base"
    shared = {
        "MODELPORT_REGISTRY_URI": database or f"sqlite:///{base / 'registry.db'}",
        "MODELPORT_STATE_URI": database or f"sqlite:///{base / 'state.db'}",
        "MODELPORT_ARTIFACT_ROOT": str(base / "artifacts"),
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODELPORT_", "MLFLOW_"))}
    env |= {"PYTHONPATH": str(ROOT / "src"), "MLFLOW_LOGGING_LEVEL": "WARNING"} | shared
    state = shared["MODELPORT_STATE_URI"]
    body = _prepare(base, tmp, rows, shared)
    timings: dict[str, list[float]] = {
        "convert": [],
        "compiled, files through MLflow": [],
        "compiled once": [],
        "mlflow models serve": [],
    }
    cpu: dict[str, list[float]] = {}
    for i in range(repeat):
        _forget_compiled(state)
        timings["convert"].append(_first_prediction(_modelport(tmp / f"convert-{i}", env), "/predict", body[0]))
    cpu["convert"] = CPU_SECONDS[-repeat:]
    compile_s = _timed([sys.executable, "-m", "modelport", "--home", str(tmp / "compiler"), "compile",
                        "credit_risk@production"], env)  # fmt: skip
    for i in range(repeat):
        _forget_compiled(state, links_only=True)
        started = _modelport(tmp / f"through-mlflow-{i}", env)
        timings["compiled, files through MLflow"].append(_first_prediction(started, "/predict", body[0]))
    cpu["compiled, files through MLflow"] = CPU_SECONDS[-repeat:]
    _timed(
        [sys.executable, "-m", "modelport", "--home", str(tmp / "compiler"), "compile", "credit_risk@production"], env
    )  # fmt: skip  (links the version again)
    for i in range(repeat):
        timings["compiled once"].append(_first_prediction(_modelport(tmp / f"fresh-{i}", env), "/predict", body[0]))
    cpu["compiled once"] = CPU_SECONDS[-repeat:]
    mlflow_env = env | {"MLFLOW_TRACKING_URI": shared["MODELPORT_REGISTRY_URI"]}
    for i in range(repeat):
        timings["mlflow models serve"].append(_mlflow_first_prediction(mlflow_env, tmp / f"mlflow-{i}", body[1]))
    cpu["mlflow models serve"] = CPU_SECONDS[-repeat:]
    batch = _batch_runs(tmp, env, state, rows)
    where = "one PostgreSQL database" if database else "SQLite"
    return _report(timings, cpu, compile_s, batch, repeat, rows, where)


def _prepare(base: Path, tmp: Path, rows: int, shared: dict[str, str]) -> tuple[bytes, bytes]:
    """The demo registry; production -> gradient boosting; a deployment; the batch input; two bodies."""
    os.environ["MODELPORT_HOME"] = str(base)
    import pyarrow as pa
    import pyarrow.parquet as pq

    from modelport.demo import TARGET, make_credit_data, run_demo
    from modelport.registry import Registry
    from modelport.settings import Settings

    registry = Registry.open(
        Settings(
            home=base,
            registry_uri=shared["MODELPORT_REGISTRY_URI"],
            state_uri=shared["MODELPORT_STATE_URI"],
            artifact_root=shared["MODELPORT_ARTIFACT_ROOT"],
        )
    )
    demo = run_demo(registry, base / "demo", actor="benchmark")
    registry.promote(demo.model, demo.versions["gradient_boosting"], reason="benchmark", actor="benchmark")
    registry.store.create_deployment("credit", demo.model, "production")
    registry.store.close()
    table = pa.Table.from_pandas(make_credit_data(rows, seed=3).drop(columns=[TARGET]), preserve_index=False)
    pq.write_table(table, tmp / "batch.parquet")
    with (demo.data_dir / "credit_to_score.csv").open() as fh:
        row = {k: float(v) for k, v in next(csv.DictReader(fh)).items()}
    split = {"dataframe_split": {"columns": list(row), "data": [list(row.values())]}}
    return json.dumps({"features": [row]}).encode(), json.dumps(split).encode()


def _forget_compiled(state_uri: str, *, links_only: bool = False) -> None:
    """Empty the compiled store (the next load converts), or only its links to versions (the next load
    finds the ONNX bytes but fetches the version through MLflow, as before the links existed)."""
    import sqlalchemy as sa

    from modelport.state import StateStore

    store = StateStore.from_url(state_uri)
    if links_only:
        engine = sa.create_engine(state_uri.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM modelport_compiled_versions"))
        engine.dispose()
    else:
        store.compiled.forget()
    store.close()


def _modelport(home: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], float, Path]:
    shutil.rmtree(home, ignore_errors=True)
    log = home.with_suffix(".log")
    argv = [sys.executable, "-m", "modelport", "--home", str(home), "serve", "--port", "0"]
    start = time.monotonic()
    with log.open("wb") as sink:
        process = subprocess.Popen(argv, env=env, stdout=sink, stderr=subprocess.STDOUT)
    return process, start, log


def _first_prediction(started: tuple[subprocess.Popen[bytes], float, Path], route: str, body: bytes) -> float:
    """Seconds from process start to the first 200 on ``route`` (the port read from the log)."""
    process, start, log = started
    try:
        url = None
        while url is None:
            for line in log.read_text(errors="replace").splitlines():
                if "serving on http://" in line:
                    url = line.split("serving on ", 1)[1].split()[0]
            if url is None:
                if process.poll() is not None or time.monotonic() - start > 300:
                    raise RuntimeError(f"server did not start; see {log}")
                time.sleep(0.01)
        return _poll(url + route, body, start, process)
    finally:
        _stop(process)


def _poll(url: str, body: bytes, start: float, process: subprocess.Popen[bytes]) -> float:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    while time.monotonic() - start < 300:
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                if response.status == 200:
                    wall = time.monotonic() - start
                    CPU_SECONDS.append(_tree_cpu_seconds(process.pid))
                    return wall
        except (urllib.error.URLError, OSError):
            if process.poll() is not None:
                raise RuntimeError(f"{url}: the server exited") from None
        time.sleep(0.01)
    raise RuntimeError(f"{url} never answered 200")


def _mlflow_first_prediction(env: dict[str, str], work: Path, body: bytes) -> float:
    # mlflow cannot report a kernel-picked port: try ports until one starts.
    path_env = env | {"PATH": f"{Path(sys.executable).parent}:{env.get('PATH', '')}"}
    for port in range(5701, 5750):
        if _answers(port):  # someone else's server: its 200 would not be ours
            continue
        argv = [sys.executable, "-m", "mlflow", "models", "serve", "-m", "models:/credit_risk/2",
                "--env-manager", "local", "-h", "127.0.0.1", "-p", str(port)]  # fmt: skip
        work.mkdir(parents=True, exist_ok=True)
        start = time.monotonic()
        with (work / "mlflow.log").open("wb") as sink:
            # Its own session: mlflow runs the server as a child, which must be stopped with it.
            process = subprocess.Popen(
                argv, env=path_env, stdout=sink, stderr=subprocess.STDOUT, cwd=work, start_new_session=True
            )
        try:
            return _poll(f"http://127.0.0.1:{port}/invocations", body, start, process)
        except RuntimeError:
            continue
        finally:
            _stop(process)
    raise RuntimeError("no free port for mlflow models serve")


CPU_SECONDS: list[float] = []
"""CPU seconds (user + system) each measured server's process tree had used at its first 200, in order."""


def _tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and its live descendants, from /proc (Linux): unlike wall time, barely
    moved by other work on a shared machine."""
    ticks = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # after the command: state ppid ... utime(12) stime(13) cutime(14) cstime(15), 0-based here
            stats[int(entry.name)] = (int(fields[1]), sum(int(f) for f in fields[11:15]) / ticks)
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += stats.get(current, (0, 0.0))[1]
        todo += [child for child, (parent, _) in stats.items() if parent == current]
    return total


def _answers(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process (and its session, when it leads one: mlflow's server child), then wait."""
    leads_session = os.getsid(process.pid) == process.pid if process.poll() is None else False
    if process.poll() is None:
        if leads_session:
            os.killpg(process.pid, signal.SIGTERM)
        else:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.monotonic()
    subprocess.run(argv, env=env, check=True, capture_output=True)
    return time.monotonic() - start


def _batch_runs(tmp: Path, env: dict[str, str], state_uri: str, rows: int) -> list[BatchRun]:
    """(label, wall s, CPU s, peak RSS MB, how the compiled form was had) of three runs."""
    _forget_compiled(state_uri)
    runs = [("first run (converts)", "batch-a"), ("second run, another home", "batch-b"), ("third run", "batch-b")]
    out = []
    for label, home in runs:
        stats = tmp / "time.txt"
        argv = ["/usr/bin/time", "-o", str(stats), "-f", "%e %M %U %S", sys.executable, "-m", "modelport", "--home",
                str(tmp / home), "batch", "score", "credit_risk@production", str(tmp / "batch.parquet"),
                str(tmp / f"{home}.parquet"), "--overwrite", "--json"]  # fmt: skip
        done = subprocess.run(argv, env=env, check=True, capture_output=True)
        wall, peak_kb, user, system = stats.read_text().split()[-4:]
        summary = json.loads(done.stdout)
        cpu = float(user) + float(system)
        # Whether the run had to download the version through MLflow, or scored from its compiled form.
        files = "downloaded" if (tmp / home / "cache" / "models").is_dir() else "compiled form"
        out.append((label, float(wall), cpu, int(peak_kb) / 1024, f"{summary['compiled']}, {files}"))
    return out


Series = dict[str, list[float]]


def _report(
    timings: Series, cpu: Series, compile_s: float, batch: list[BatchRun], repeat: int, rows: int, where: str
) -> str:
    load = os.getloadavg()[0]
    lines = [
        f"Fresh replica (own empty home, same registry + state on {where}), {os.cpu_count()} CPU(s), "
        f"load average {load:.1f} "
        f"at the end; median of {repeat} (min, max) seconds from process start to the first 200, and the CPU "
        "seconds the server's process tree had used by then:",
        "",
        "| contender | first 200 s | min | max | CPU s |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, values in timings.items():
        used = statistics.median(cpu[name])
        lines.append(
            f"| {name} | {statistics.median(values):.2f} | {min(values):.2f} | {max(values):.2f} | {used:.2f} |"
        )
    lines += ["", f"`modelport compile credit_risk@production` (once, ahead of time): {compile_s:.2f} s.", ""]
    lines += [f"`batch score` of {rows:,} rows (Parquet -> Parquet):", ""]
    lines += ["| run | wall s | CPU s | peak RSS MB | compiled, model files |", "|---|---:|---:|---:|---|"]
    lines += [f"| {label} | {wall:.2f} | {cpu:.2f} | {rss:.0f} | {how} |" for label, wall, cpu, rss, how in batch]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
