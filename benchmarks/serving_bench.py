"""modelport serve vs ``mlflow models serve`` on the demo gradient-boosting model, same machine, same wrk.

    python -m benchmarks.serving_bench [--duration 10] [--workers 2] [--output results.md]
    python -m benchmarks.serving_bench --monitoring compare [--rounds 5]

Trains and registers the demo models in a temporary home, promotes the gradient-boosting version,
deploys it, then measures with ``wrk`` (``apt-get install wrk``): single-row and 100-row requests at
1, 8 and 64 connections against modelport's ``/invocations`` (and ``/predict``) and MLflow's
``/invocations`` with the same ``dataframe_split`` body. Also times the bare model call in-process.

``--monitoring compare`` measures the cost of feature drift and the prediction log instead: two
modelport servers of the same home, one with both off and one with both on (their default settings),
measured back to back ``--rounds`` times per cell; medians are reported, and the median ratio of the
pairs. It also times each part of the monitoring work in-process.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CONCURRENCY = (1, 8, 64)
ROWS = (1, 100)


@dataclass
class Run:
    server: str
    route: str
    rows: int
    connections: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_us: float = float("nan")
    """CPU time the server's processes spent per request answered (``--monitoring compare`` only)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--workers", type=int, default=2, help="modelport worker processes")
    parser.add_argument("--output", type=Path, help="also write the markdown tables here")
    parser.add_argument(
        "--monitoring",
        choices=("on", "off", "compare"),
        default="on",
        help="drift + prediction log on (the default settings), off, or both servers compared",
    )
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds per cell with --monitoring compare")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed: sudo apt-get install wrk  (Debian/Ubuntu)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="modelport-bench-") as tmp:
        if args.monitoring == "compare":
            from benchmarks.monitoring_compare import compare_monitoring

            report = compare_monitoring(Path(tmp), args.duration, args.workers, args.rounds)
        else:
            report = _bench(Path(tmp), args.duration, args.workers, monitoring=args.monitoring == "on")
    print(report)
    if args.output:
        args.output.write_text(report)
    return 0


MONITORING_OFF = {"MODELPORT_DRIFT__ENABLED": "false", "MODELPORT_PREDICTION_LOG__FIELDS": "off"}
MONITORING_ON = {"MODELPORT_DRIFT__ENABLED": "true", "MODELPORT_PREDICTION_LOG__FIELDS": "full"}  # defaults


def _bench(tmp: Path, duration: int, workers: int, *, monitoring: bool = True) -> str:
    env = os.environ | {"PYTHONPATH": str(ROOT / "src"), "MODELPORT_HOME": str(tmp / "home")}
    env |= MONITORING_ON if monitoring else MONITORING_OFF
    model_dir, frame = prepare_demo(tmp, env)
    bodies = {n: json.dumps({"dataframe_split": frame.head(n).to_dict(orient="split")}) for n in ROWS}
    seed_bodies = {n: json.dumps({"features": frame.head(n).to_dict(orient="records")}) for n in ROWS}
    runs: list[Run] = []
    serve = [sys.executable, "-m", "modelport", "serve", "--port", "0", "--workers", str(workers)]
    modelport = start_process(serve, env, tmp / "modelport.log")
    try:
        url = url_from(modelport, tmp / "modelport.log", r"serving on (http://\S+)")
        wait_ok(url + "/readyz")
        for n in ROWS:
            for c in CONCURRENCY:
                runs.append(run_wrk("modelport", url, "/invocations", bodies[n], n, c, duration, tmp))
                runs.append(run_wrk("modelport", url, "/predict", seed_bodies[n], n, c, duration, tmp))
    finally:
        stop_process(modelport)
    mlflow = _start_mlflow(model_dir, env, tmp)
    try:
        url = mlflow[1]
        for n in ROWS:
            for c in CONCURRENCY:
                runs.append(run_wrk("mlflow models serve", url, "/invocations", bodies[n], n, c, duration, tmp))
    finally:
        stop_process(mlflow[0])
    bare = _in_process(model_dir, frame)
    return _report(runs, bare, workers, duration)


def prepare_demo(tmp: Path, env: dict[str, str]) -> tuple[Path, Any]:
    """The demo registry; production → the gradient-boosting version; one deployment following it."""
    os.environ.update({k: v for k, v in env.items() if k == "MODELPORT_HOME"})
    import pandas as pd

    from modelport.demo import run_demo
    from modelport.registry import Registry
    from modelport.settings import Settings

    settings = Settings()
    registry = Registry.open(settings)
    result = run_demo(registry, settings.resolved_home / "demo", actor="benchmark")
    gb = result.versions["gradient_boosting"]
    registry.promote(result.model, gb, actor="benchmark", reason="benchmark")
    registry.store.create_deployment("credit", result.model, "production")
    model_dir = registry.local_model_dir(result.model, gb)
    frame = pd.read_csv(result.data_dir / "credit_to_score.csv")
    registry.store.close()
    return model_dir, frame


def start_process(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    # Output goes to a file, never an unread pipe: a full pipe would block the server's logging.
    with log.open("wb") as sink:
        return subprocess.Popen(argv, env=env, stdout=sink, stderr=subprocess.STDOUT)


def url_from(process: subprocess.Popen[bytes], log: Path, pattern: str, timeout: float = 300.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = re.search(pattern, log.read_text(errors="replace"))
        if match:
            return match.group(1)
        if process.poll() is not None:
            break
        time.sleep(0.2)
    raise RuntimeError(f"server did not start (exit {process.poll()}); see {log}")


def _start_mlflow(model_dir: Path, env: dict[str, str], tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    # mlflow cannot report a kernel-picked port, so try ports until one starts.
    path_env = env | {"PATH": f"{Path(sys.executable).parent}:{env.get('PATH', '')}"}
    for port in range(5601, 5650):
        argv = [sys.executable, "-m", "mlflow", "models", "serve", "-m", str(model_dir), "--env-manager", "local"]
        log = tmp / f"mlflow-{port}.log"
        process = start_process([*argv, "-h", "127.0.0.1", "-p", str(port)], path_env, log)
        try:
            url_from(process, log, r"(Application startup complete)")
        except RuntimeError:
            continue
        url = f"http://127.0.0.1:{port}"
        wait_ok(url + "/ping")
        return process, url
    raise RuntimeError("no free port for mlflow models serve")


def wait_ok(url: str, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} never answered 200")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_wrk(
    server: str, url: str, route: str, body: str, rows: int, c: int, duration: int, tmp: Path, pid: int | None = None
) -> Run:
    script = tmp / "post.lua"
    script.write_text(
        f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = {json.dumps(body)}\n'
    )
    argv = ["wrk", f"-t{min(c, 2)}", f"-c{c}", "--latency", "-s", str(script), url + route]
    subprocess.run([*argv[:1], "-d2s", *argv[1:]], capture_output=True, check=True)  # warm-up
    cpu_before = _tree_cpu_s(pid) if pid is not None else 0.0
    out = subprocess.run([*argv[:1], f"-d{duration}s", *argv[1:]], capture_output=True, text=True, check=True).stdout
    cpu = _tree_cpu_s(pid) - cpu_before if pid is not None else float("nan")
    answered = _num(out, r"(\d+) requests in")
    run = Run(server, route, rows, c, _num(out, r"Requests/sec:\s+([\d.]+)"), _ms(out, "50%"), _ms(out, "99%"),
              _errors(out), cpu / answered * 1e6 if answered else float("nan"))  # fmt: skip
    print(f"{server:20} {route:12} rows={rows:<4} c={c:<3} {run.rps:9.1f} req/s  p50 {run.p50_ms:8.2f} ms  "
          f"p99 {run.p99_ms:8.2f} ms  errors {run.errors}", flush=True)  # fmt: skip
    return run


def _tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and every live descendant (all their threads), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime (fields 14, 15 of stat)
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue  # exited meanwhile
    return total


def _num(text: str, pattern: str) -> float:
    match = re.search(pattern, text)
    return float(match.group(1)) if match else 0.0


def _ms(text: str, percentile: str) -> float:
    match = re.search(rf"^\s+{re.escape(percentile)}\s+([\d.]+)(us|ms|s)\s*$", text, re.MULTILINE)
    if not match:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def _errors(text: str) -> int:
    non_2xx = _num(text, r"Non-2xx or 3xx responses:\s+(\d+)")
    socket = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
    return int(non_2xx) + socket


def _in_process(model_dir: Path, frame: Any) -> dict[str, float]:
    """Microseconds per call of the chosen predictor and of the raw estimator, 1 and 100 rows."""
    import timeit

    import mlflow.sklearn

    from modelport.runtime import load_model

    loaded = load_model(model_dir)
    raw = mlflow.sklearn.load_model(str(model_dir))
    out: dict[str, float] = {}
    for n in ROWS:
        features = loaded.schema.from_pandas(frame.head(n))
        rows = frame.head(n)[list(loaded.schema.names)]
        calls = {
            f"{loaded.kind} predictor": functools.partial(loaded.predictor.predict, features),
            "sklearn predict_proba": functools.partial(raw.predict_proba, rows),
        }
        number = 2000 if n == 1 else 200
        for label, call in calls.items():
            out[f"{label}, {n} row(s)"] = min(timeit.repeat(call, number=number, repeat=3)) / number * 1e6
    return out


def _report(runs: list[Run], bare: dict[str, float], workers: int, duration: int) -> str:
    lines = [
        f"wrk, {duration} s per cell after a 2 s warm-up; modelport with {workers} worker(s); "
        f"{os.cpu_count()} CPU(s), load generator on the same machine.",
        "",
        "| server | route | rows | connections | req/s | p50 ms | p99 ms | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in sorted(runs, key=lambda r: (r.rows, r.connections, r.server, r.route)):
        lines.append(f"| {r.server} | `{r.route}` | {r.rows} | {r.connections} | {r.rps:.0f} | {r.p50_ms:.2f} | "
                     f"{r.p99_ms:.2f} | {r.errors} |")  # fmt: skip
    lines += ["", "| in-process call | µs |", "|---|---:|"]
    lines += [f"| {label} | {us:.1f} |" for label, us in bare.items()]
    mp = {(r.rows, r.connections): r for r in runs if r.server == "modelport" and r.route == "/invocations"}
    ml = {(r.rows, r.connections): r for r in runs if r.server != "modelport"}
    if (1, 64) in mp and (1, 64) in ml and ml[(1, 64)].rps:
        ratio = mp[(1, 64)].rps / ml[(1, 64)].rps
        lines += ["", f"Single row at 64 connections: modelport {ratio:.1f} times the req/s of mlflow models serve, "
                      f"p99 {mp[(1, 64)].p99_ms:.1f} ms vs {ml[(1, 64)].p99_ms:.1f} ms."]  # fmt: skip
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
