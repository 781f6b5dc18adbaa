"""The stream benchmark's other contenders: hand-written loops, and MLServer in a venv of its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

MLSERVER_VERSION = "1.7.1"

HAND_KAFKA = """
import signal, sys, warnings
import joblib, numpy as np, orjson
from confluent_kafka import Consumer, Producer

warnings.filterwarnings("ignore")  # sklearn: "X does not have valid feature names"
bootstrap, topic_in, topic_out, model_path, fetch_wait_ms = sys.argv[1:6]
model = joblib.load(model_path)
names = list(model.feature_names_in_)
consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "hand-" + topic_in, "auto.offset.reset": "earliest",
                     "enable.auto.commit": False, "log_level": 3, "fetch.wait.max.ms": int(fetch_wait_ms)})
producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 2, "log_level": 3})
consumer.subscribe([topic_in])
running = [True]
signal.signal(signal.SIGTERM, lambda *_: running.__setitem__(0, False))
while running[0]:
    msgs = [m for m in consumer.consume(500, 0.005) if m.error() is None]
    if not msgs:
        continue
    rows = [orjson.loads(m.value()) for m in msgs]
    proba = model.predict_proba(np.array([[r[n] for n in names] for r in rows], dtype=np.float64))
    labels = model.classes_[proba.argmax(axis=1)].tolist()
    for m, label, p in zip(msgs, labels, proba.tolist()):
        doc = {"source_id": f"{m.topic()}/{m.partition()}/{m.offset()}", "prediction": label, "probabilities": p}
        producer.produce(topic_out, orjson.dumps(doc), m.key())
    producer.flush()
    consumer.commit(asynchronous=False)
consumer.close()
"""

HAND_REDIS = """
import signal, sys, warnings
import joblib, numpy as np, orjson, redis

warnings.filterwarnings("ignore")
stream_in, stream_out, model_path = sys.argv[1:4]
model = joblib.load(model_path)
names = list(model.feature_names_in_)
r = redis.Redis(host="127.0.0.1", port=6379, socket_timeout=30)
try:
    r.xgroup_create(stream_in, "hand", id="0", mkstream=True)
except redis.ResponseError:
    pass
running = [True]
signal.signal(signal.SIGTERM, lambda *_: running.__setitem__(0, False))
while running[0]:
    reply = r.xreadgroup("hand", "c1", {stream_in: ">"}, count=500, block=1000)
    entries = [e for _, es in reply or () for e in es]
    if not entries:
        continue
    rows = [orjson.loads(fields[b"data"]) for _, fields in entries]
    proba = model.predict_proba(np.array([[row[n] for n in names] for row in rows], dtype=np.float64))
    labels = model.classes_[proba.argmax(axis=1)].tolist()
    pipe = r.pipeline(transaction=True)
    for (entry_id, _), label, p in zip(entries, labels, proba.tolist()):
        doc = {"source_id": entry_id.decode(), "prediction": label, "probabilities": p}
        pipe.xadd(stream_out, {"data": orjson.dumps(doc), "source_id": entry_id})
    pipe.xack(stream_in, "hand", *[entry_id for entry_id, _ in entries])
    pipe.execute()
"""


def install_mlserver(venv: Path) -> None:
    """MLServer and its sklearn runtime in their own venv (``uvloop<0.22`` must not reach the project's)."""
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    probe = subprocess.run([str(python), "-c", "import mlserver_sklearn, mlserver; print(mlserver.__version__)"],
                           capture_output=True, text=True)  # fmt: skip
    if probe.returncode == 0 and probe.stdout.strip() == MLSERVER_VERSION:
        return
    import sklearn

    packages = [f"mlserver=={MLSERVER_VERSION}", f"mlserver-sklearn=={MLSERVER_VERSION}", "uvloop<0.22",
                f"scikit-learn=={sklearn.__version__}"]  # fmt: skip
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", *packages], check=True)


def prepare_mlserver(root: Path, sklearn_path: Path) -> Path:
    """A model repository with the demo model under the sklearn runtime."""
    model = root / "models" / "credit_risk"
    model.mkdir(parents=True, exist_ok=True)
    settings = {
        "name": "credit_risk",
        "implementation": "mlserver_sklearn.SKLearnModel",
        "parameters": {"uri": str(sklearn_path), "version": "v2"},
    }
    (model / "model-settings.json").write_bytes(orjson.dumps(settings))
    return root / "models"


def mlserver_settings(bootstrap: str, topic_in: str, topic_out: str) -> dict[str, str]:
    """Environment of ``mlserver start``: its Kafka server on our topics, ports out of the way."""
    return {
        "MLSERVER_KAFKA_ENABLED": "true",
        "MLSERVER_KAFKA_SERVERS": bootstrap,
        "MLSERVER_KAFKA_TOPIC_INPUT": topic_in,
        "MLSERVER_KAFKA_TOPIC_OUTPUT": topic_out,
        "MLSERVER_HTTP_PORT": "18480",
        "MLSERVER_GRPC_PORT": "18481",
        "MLSERVER_METRICS_PORT": "18482",
        "MLSERVER_PARALLEL_WORKERS": "0",
    }


def v2_request(request_id: str, row: dict[str, Any]) -> bytes:
    """One row as an Open Inference V2 request asking for labels and probabilities."""
    return orjson.dumps(
        {
            "id": request_id,
            "inputs": [{"name": "input-0", "shape": [1, len(row)], "datatype": "FP64", "data": list(row.values())}],
            "outputs": [{"name": "predict"}, {"name": "predict_proba"}],
        }
    )
