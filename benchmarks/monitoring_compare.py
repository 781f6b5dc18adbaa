"""``serving_bench --monitoring compare``: what feature drift and the prediction log cost a server.

Three measurements: two ``modelport serve`` processes of one home (monitoring off, and on with its
default settings) under the same ``wrk`` load back to back in alternating order, req/s and the CPU
their processes spent per request; the data plane in-process (CPU per ``DataPlane.predict``, the
background work included); and each part of the monitoring work timed alone.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.serving_bench import (
    CONCURRENCY,
    MONITORING_OFF,
    MONITORING_ON,
    ROOT,
    ROWS,
    Run,
    prepare_demo,
    run_wrk,
    start_process,
    stop_process,
    url_from,
    wait_ok,
)
from modelport.settings import DriftSettings, PredictionLogSettings

__all__ = ["compare_monitoring"]


def compare_monitoring(tmp: Path, duration: int, workers: int, rounds: int) -> str:
    """Drift + prediction log on vs off: two servers of one home, measured back to back in alternating order."""
    env = os.environ | {"PYTHONPATH": str(ROOT / "src"), "MODELPORT_HOME": str(tmp / "home")}
    model_dir, frame = prepare_demo(tmp, env)
    bodies = {n: json.dumps({"features": frame.head(n).to_dict(orient="records")}) for n in ROWS}
    serve = [sys.executable, "-m", "modelport", "serve", "--port", "0", "--workers", str(workers)]
    servers = {
        "off": start_process(serve, env | MONITORING_OFF, tmp / "off.log"),
        "on": start_process(serve, env | MONITORING_ON, tmp / "on.log"),
    }
    pairs: dict[tuple[int, int], list[tuple[Run, Run]]] = {}
    try:
        urls = {k: url_from(p, tmp / f"{k}.log", r"serving on (http://\S+)") for k, p in servers.items()}
        for url in urls.values():
            wait_ok(url + "/readyz")
        for n in ROWS:
            for c in CONCURRENCY:
                for i in range(rounds):
                    # Back to back, so both see the same background load (the ratio of each pair counts),
                    # in alternating order so neither always goes first.
                    measured = {}
                    for mode in ("off", "on") if i % 2 == 0 else ("on", "off"):
                        measured[mode] = run_wrk(
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
            stop_process(process)
    logged = sum(1 for _ in (tmp / "home" / "predictions").rglob("*.parquet"))
    costs = _monitoring_costs(model_dir, frame, tmp / "costs")
    plane = asyncio.run(_data_plane_costs(model_dir, frame, tmp / "plane", rounds))
    lines = [
        f"wrk, {rounds} rounds per cell of {duration} s (after a 2 s warm-up) against each server back to back; "
        f"modelport with {workers} worker(s); {os.cpu_count()} CPU(s), load generator on the same machine; "
        "`/predict`. Medians over the rounds; on/off is the median of each round's ratio.",
        "On: drift and the prediction log with their default settings (every request sampled, within "
        f"{DriftSettings().max_rows_per_s:,} counted and {PredictionLogSettings().max_rows_per_s:,} logged rows per "
        f"second per worker; {logged} Parquet files written).",
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
    from modelport.inference.predictionlog import ParquetSink
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
    settings = PredictionLogSettings(queue_size=n, flush_interval_s=300.0, max_rows_per_s=10 * n)
    log = PredictionLog(settings, ParquetSink(folder))
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
