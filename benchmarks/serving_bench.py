"""modelport serve vs ``mlflow models serve`` on the demo gradient-boosting model, same machine, same wrk.

    python -m benchmarks.serving_bench [--duration 10] [--workers 2] [--output results.md]
    python -m benchmarks.serving_bench --monitoring compare [--rounds 3]

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
import asyncio
import functools
import json
import os
import re
import shutil
import signal
import statistics
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
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per cell with --monitoring compare")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed: sudo apt-get install wrk  (Debian/Ubuntu)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="modelport-bench-") as tmp:
        if args.monitoring == "compare":
            report = _compare_monitoring(Path(tmp), args.duration, args.workers, args.rounds)
        else:
            report = _bench(Path(tmp), args.duration, args.workers, monitoring=args.monitoring == "on")
    print(report)
    if args.output:
        args.output.write_text(report)
    return 0


_MONITORING_OFF = {"MODELPORT_DRIFT__ENABLED": "false", "MODELPORT_PREDICTION_LOG__FIELDS": "off"}
_MONITORING_ON = {"MODELPORT_DRIFT__ENABLED": "true", "MODELPORT_PREDICTION_LOG__FIELDS": "full"}  # defaults


def _compare_monitoring(tmp: Path, duration: int, workers: int, rounds: int) -> str:
    """Drift + prediction log on vs off: two servers of one home, measured back to back in alternating order."""
    env = os.environ | {"PYTHONPATH": str(ROOT / "src"), "MODELPORT_HOME": str(tmp / "home")}
    model_dir, frame = _prepare(tmp, env)
    bodies = {n: json.dumps({"features": frame.head(n).to_dict(orient="records")}) for n in ROWS}
    serve = [sys.executable, "-m", "modelport", "serve", "--port", "0", "--workers", str(workers)]
    servers = {
        "off": _start(serve, env | _MONITORING_OFF, tmp / "off.log"),
        "on": _start(serve, env | _MONITORING_ON, tmp / "on.log"),
    }
    pairs: dict[tuple[int, int], list[tuple[Run, Run]]] = {}
    try:
        urls = {k: _url_from(p, tmp / f"{k}.log", r"serving on (http://\S+)") for k, p in servers.items()}
        for url in urls.values():
            _wait(url + "/readyz")
        for n in ROWS:
            for c in CONCURRENCY:
                for i in range(rounds):
                    # Back to back, so both see the same background load (the ratio of each pair counts),
                    # in alternating order so neither always goes first.
                    measured = {}
                    for mode in ("off", "on") if i % 2 == 0 else ("on", "off"):
                        measured[mode] = _wrk(
                            f"monitoring {mode}",
                            urls[mode],
                            "/predict",
                            bodies[n],
                            n,
                            c,
                            duration,
                            tmp,
                            pid=servers[mode].pid,
                        )
                    pairs.setdefault((n, c), []).append((measured["off"], measured["on"]))
    finally:
        for process in servers.values():
            _stop(process)
    logged = sum(1 for _ in (tmp / "home" / "predictions").rglob("*.parquet"))
    costs = _monitoring_costs(model_dir, frame, tmp / "costs")
    plane = asyncio.run(_data_plane_costs(model_dir, frame, tmp / "plane", rounds))
    lines = [
        f"wrk, {rounds} rounds per cell of {duration} s (after a 2 s warm-up) against each server back to back; "
        f"modelport with {workers} worker(s); {os.cpu_count()} CPU(s), load generator on the same machine; "
        "`/predict`. Medians over the rounds; on/off is the median of each round's ratio.",
        "On: drift and the prediction log with their default settings (every request sampled, within "
        f"2,000 counted and 500 logged rows per second per worker; {logged} Parquet files written).",
        "",
        "| rows | connections | off req/s | on req/s | on/off req/s | off p99 ms | on p99 ms "
        "| off CPU µs/req | on CPU µs/req | on/off CPU |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (n, c), measured in pairs.items():
        off_rps = statistics.median(off.rps for off, _ in measured)
        on_rps = statistics.median(on.rps for _, on in measured)
        ratio = statistics.median(on.rps / off.rps for off, on in measured if off.rps)
        off_p99 = statistics.median(off.p99_ms for off, _ in measured)
        on_p99 = statistics.median(on.p99_ms for _, on in measured)
        off_cpu = statistics.median(off.cpu_us for off, _ in measured)
        on_cpu = statistics.median(on.cpu_us for _, on in measured)
        cpu_ratio = statistics.median(on.cpu_us / off.cpu_us for off, on in measured if off.cpu_us)
        lines.append(f"| {n} | {c} | {off_rps:.0f} | {on_rps:.0f} | {ratio:.3f} | {off_p99:.2f} | {on_p99:.2f} "
                     f"| {off_cpu:.0f} | {on_cpu:.0f} | {cpu_ratio:.3f} |")  # fmt: skip
    lines += [
        "",
        "The data plane alone, in-process (no HTTP, no load generator): `DataPlane.predict` of a parsed request, "
        f"monitoring off and on (background threads running), alternating, {rounds * 2} rounds; CPU µs of the "
        "process (every thread) per request, medians.",
        "",
        "| rows | off CPU µs | on CPU µs | on/off CPU |",
        "|---:|---:|---:|---:|",
    ]
    lines += [f"| {n} | {off:.1f} | {on:.1f} | {ratio:.3f} |" for n, (off, on, ratio) in plane.items()]
    lines += ["", "| monitoring work per single-row request, in-process | µs |", "|---|---:|"]
    lines += [f"| {label} | {us:.2f} |" for label, us in costs.items()]
    return "\n".join(lines) + "\n"


async def _data_plane_costs(
    model_dir: Path, frame: Any, folder: Path, rounds: int
) -> dict[int, tuple[float, float, float]]:
    """µs per ``DataPlane.predict`` with monitoring off and on: (off, on, median ratio of the rounds)."""
    from modelport.inference import MemoryCatalog, Node
    from modelport.inference.codecs.seed import decode_features
    from modelport.settings import Settings

    catalog = MemoryCatalog()
    catalog.add_version("credit_risk", "2", model_dir)
    catalog.point("credit_risk", "production", "2")
    catalog.deploy("credit", "credit_risk")
    nodes = {}
    for mode, on in (("off", False), ("on", True)):
        settings = Settings(
            home=folder / mode, drift={"enabled": on}, prediction_log={"fields": "full" if on else "off"}
        )
        nodes[mode] = Node(settings, catalog=catalog)
        await nodes[mode].start()
    out = {}
    try:
        for n in ROWS:
            payload = {"features": frame.head(n).to_dict(orient="records")}
            calls = 4000 if n == 1 else 800
            times: dict[str, list[float]] = {"off": [], "on": []}
            for i in range(rounds * 2):
                for mode in ("off", "on") if i % 2 == 0 else ("on", "off"):
                    node = nodes[mode]
                    started = time.process_time()  # CPU of the process, every thread
                    for _ in range(calls):
                        await node.plane.predict("credit", decode_features(payload))
                    # The background work these requests caused, done now so it is counted in this round.
                    if node.drift is not None:
                        node.drift.flush()
                    if node.prediction_log is not None:
                        node.prediction_log.flush()
                    times[mode].append((time.process_time() - started) / calls * 1e6)
            ratio = statistics.median(on / off for off, on in zip(times["off"], times["on"], strict=True))
            out[n] = (statistics.median(times["off"]), statistics.median(times["on"]), ratio)
    finally:
        for node in nodes.values():
            await node.stop()
    return out


def _monitoring_costs(model_dir: Path, frame: Any, folder: Path) -> dict[str, float]:
    """CPU per single-row request of each part of drift and the prediction log, timed in-process."""
    import timeit

    from modelport.inference import Prediction, PredictionLog, ServedVersion
    from modelport.inference.drift import DriftMonitor, MemoryDriftCounts
    from modelport.runtime import load_model
    from modelport.settings import DriftSettings, PredictionLogSettings

    loaded = load_model(model_dir)
    served = ServedVersion("credit_risk", "2", loaded, batcher=None)  # type: ignore[arg-type]  # never predicts
    features = loaded.schema.from_pandas(frame.head(1))
    prediction = Prediction("credit", served, loaded.predictor.predict(features), inputs=features)
    n = 20_000
    drift = DriftMonitor(DriftSettings(max_pending=n, max_rows_per_s=10 * n), MemoryDriftCounts())
    observe_drift = min(timeit.repeat(lambda: drift.observe(prediction, 0.001), number=n, repeat=1)) / n
    flush = timeit.timeit(drift.flush, number=1) / n
    log = PredictionLog(PredictionLogSettings(queue_size=n, flush_interval_s=300.0, max_rows_per_s=10 * n), folder)
    observe_log = timeit.timeit(lambda: log.observe(prediction, 0.001), number=n) / n
    log.start()
    write = timeit.timeit(log.stop, number=1) / n
    if log.written != n:
        raise RuntimeError(f"the prediction log wrote {log.written} of {n} records")
    return {
        "drift: sample on the request path (`observe`)": observe_drift * 1e6,
        "drift: count and write, background thread (`flush`)": flush * 1e6,
        "prediction log: sample and queue on the request path (`observe`)": observe_log * 1e6,
        "prediction log: JSON + Parquet, background thread (writer)": write * 1e6,
    }


def _bench(tmp: Path, duration: int, workers: int, *, monitoring: bool = True) -> str:
    env = os.environ | {"PYTHONPATH": str(ROOT / "src"), "MODELPORT_HOME": str(tmp / "home")}
    env |= _MONITORING_ON if monitoring else _MONITORING_OFF
    model_dir, frame = _prepare(tmp, env)
    bodies = {n: json.dumps({"dataframe_split": frame.head(n).to_dict(orient="split")}) for n in ROWS}
    seed_bodies = {n: json.dumps({"features": frame.head(n).to_dict(orient="records")}) for n in ROWS}
    runs: list[Run] = []
    serve = [sys.executable, "-m", "modelport", "serve", "--port", "0", "--workers", str(workers)]
    modelport = _start(serve, env, tmp / "modelport.log")
    try:
        url = _url_from(modelport, tmp / "modelport.log", r"serving on (http://\S+)")
        _wait(url + "/readyz")
        for n in ROWS:
            for c in CONCURRENCY:
                runs.append(_wrk("modelport", url, "/invocations", bodies[n], n, c, duration, tmp))
                runs.append(_wrk("modelport", url, "/predict", seed_bodies[n], n, c, duration, tmp))
    finally:
        _stop(modelport)
    mlflow = _start_mlflow(model_dir, env, tmp)
    try:
        url = mlflow[1]
        for n in ROWS:
            for c in CONCURRENCY:
                runs.append(_wrk("mlflow models serve", url, "/invocations", bodies[n], n, c, duration, tmp))
    finally:
        _stop(mlflow[0])
    bare = _in_process(model_dir, frame)
    return _report(runs, bare, workers, duration)


def _prepare(tmp: Path, env: dict[str, str]) -> tuple[Path, Any]:
    """The demo registry; production → the gradient-boosting version; one deployment following it."""
    os.environ.update({k: v for k, v in env.items() if k == "MODELPORT_HOME"})
    import pandas as pd

    from modelport.demo import run_demo
    from modelport.registry import Registry
    from modelport.settings import Settings

    settings = Settings()
    registry = Registry.open(settings)
    result = run_demo(registry, settings.resolved_home / "demo")
    gb = result.versions["gradient_boosting"]
    registry.promote(result.model, gb, reason="benchmark")
    registry.store.create_deployment("credit", result.model, "production")
    model_dir = registry.local_model_dir(result.model, gb)
    frame = pd.read_csv(result.data_dir / "credit_to_score.csv")
    registry.store.close()
    return model_dir, frame


def _start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    # Output goes to a file, never an unread pipe: a full pipe would block the server's logging.
    with log.open("wb") as sink:
        return subprocess.Popen(argv, env=env, stdout=sink, stderr=subprocess.STDOUT)


def _url_from(process: subprocess.Popen[bytes], log: Path, pattern: str, timeout: float = 300.0) -> str:
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
        process = _start([*argv, "-h", "127.0.0.1", "-p", str(port)], path_env, log)
        try:
            _url_from(process, log, r"(Application startup complete)")
        except RuntimeError:
            continue
        url = f"http://127.0.0.1:{port}"
        _wait(url + "/ping")
        return process, url
    raise RuntimeError("no free port for mlflow models serve")


def _wait(url: str, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} never answered 200")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wrk(
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
