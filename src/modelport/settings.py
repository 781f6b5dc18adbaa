"""modelport's one configuration object.

Built once at an entry point (the CLI, ``serving/asgi.py``) and passed down; nothing reads the
environment anywhere else. Every field reads ``MODELPORT_<FIELD>``; nested sections use ``__``
(``MODELPORT_SERVING__PORT=9000``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, TypeAlias

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "BatchSettings",
    "DriftSettings",
    "LogFields",
    "PredictionLogSettings",
    "RolloutSettings",
    "RuntimeSettings",
    "Section",
    "ServingSettings",
    "Settings",
    "StreamSettings",
]


class Section(BaseModel):
    """Base of every nested section.

    Field docstrings document each setting: ``settings_doc`` reads them from this source with ``ast`` to
    render docs/configuration.md. ``use_attribute_docstrings`` is off on purpose: pydantic would parse this
    file on every start (~85 ms of a batch run) for descriptions nothing reads at run time.
    """


class ServingSettings(Section):
    """How ``modelport serve`` listens and protects itself."""

    host: str = "127.0.0.1"
    """Address to bind. Binding anything but loopback makes predict routes require an API key."""
    port: int = Field(default=8000, ge=0, le=65535)
    """TCP port; 0 picks a free one (the bound port is logged)."""
    workers: int = Field(default=1, ge=1, le=64)
    """Worker processes sharing the port."""
    deployments: list[str] = Field(default_factory=list)
    """Deployments to serve (empty: every deployment in the state store)."""
    default_deployment: str | None = None
    """Deployment answering the unprefixed routes (``/predict``, ``/invocations``); default: the only one."""
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    """Largest request body accepted; larger bodies get 413 ``payload_too_large`` while being read."""
    body_timeout_s: float = Field(default=30.0, gt=0.0, le=3600.0)
    """Seconds a request body may stall between two chunks before the request is answered 408."""
    max_rows: int = Field(default=10_000, ge=1)
    """Most rows one request may carry; more get 413 ``payload_too_large``."""
    poll_interval_s: float = Field(default=0.5, gt=0.0)
    """How often each server reads the state revision to notice promotions and rollbacks. On PostgreSQL
    a notification (LISTEN/NOTIFY) wakes servers at once; polling is then the fallback."""
    resync_interval_s: float = Field(default=30.0, gt=0.0)
    """How often aliases are re-resolved even when the revision did not move (changes made behind
    modelport's back, straight in MLflow)."""
    cpu_threads: int = Field(default=1, ge=1, le=64)
    """OpenMP/BLAS threads per worker process (``OMP_NUM_THREADS`` …): one per worker beats oversubscribed
    cores. ONNX Runtime threads are ``runtime.intra_op_threads``."""
    key_cache_s: float = Field(default=5.0, ge=0.0)
    """Seconds a verified API key is trusted before the state store is asked again (revocation delay)."""
    cors_origins: list[str] = Field(default_factory=list)
    """Origins allowed by CORS; empty means no CORS headers at all."""
    json_logs: bool = False
    """Log one JSON object per line (with the request id) instead of plain text."""
    graceful_timeout_s: float = Field(default=30.0, gt=0.0)
    """On SIGTERM, how long in-flight requests may take to finish before workers stop."""


class BatchSettings(Section):
    """Defaults of ``modelport batch score`` (each has a command-line option too)."""

    batch_size: int = Field(default=65_536, ge=1, le=10_000_000)
    """Rows per record batch: the unit of parallel work and of checkpointing. Memory grows with it."""
    workers: int | None = Field(default=None, ge=1, le=256)
    """Threads scoring batches in parallel. Default: the number of CPU cores."""
    spark_master: str = "local[*]"
    """Spark master URL used by ``--engine spark`` when ``--spark-master`` is not given."""


class RuntimeSettings(Section):
    """How model versions are turned into predictors (``modelport.runtime``)."""

    prefer: tuple[Literal["onnx", "native", "pyfunc"], ...] = ("onnx", "native", "pyfunc")
    """Predictor kinds in order of preference; ONNX is used only when it passes the parity check."""
    intra_op_threads: int = Field(default=1, ge=1, le=64)
    """ONNX Runtime threads per predict call; keep 1 when several workers share the machine."""
    max_batch_size: int = Field(default=64, ge=1, le=100_000)
    """Most rows the adaptive batcher groups into one predict call (a bigger request goes alone)."""
    max_latency_ms: float = Field(default=2.0, ge=0.0, le=1000.0)
    """Longest a request waits for others to join its batch while another batch is running."""


class RolloutSettings(Section):
    """How servers report outcomes and run the rollout controller (``modelport.deployments``)."""

    flush_interval_s: float = Field(default=1.0, gt=0.0, le=60.0)
    """How often each server writes its per-version outcome counters to the state store."""
    controller_interval_s: float = Field(default=1.0, gt=0.0, le=60.0)
    """How often each server's rollout controller judges the running canaries it holds the lease of."""
    lease_ttl_s: float = Field(default=10.0, gt=0.0, le=600.0)
    """How long a controller lease lasts unrenewed; another server takes a canary over after this."""
    controller: bool = True
    """Run the rollout controller in this server (one active per deployment across all servers)."""


class StreamSettings(Section):
    """Defaults of ``modelport stream redis|kafka`` (the common ones have a command-line option too)."""

    batch_size: int = Field(default=500, ge=1, le=10_000)
    """Most records per micro-batch (one predict call); capped by ``serving.max_rows``."""
    max_latency_ms: float = Field(default=5.0, ge=0.0, le=10_000.0)
    """Longest a micro-batch waits for more records after its first one arrived."""
    poll_timeout_s: float = Field(default=1.0, gt=0.0, le=60.0)
    """How long one read blocks when the stream is idle; also bounds how long SIGTERM waits for a read."""
    group: str = "modelport"
    """Consumer group (Redis) or group id (Kafka) shared by the workers of one stream."""
    start: Literal["earliest", "latest"] = "earliest"
    """Where a group created by the worker starts: the whole stream, or only new records."""
    redis_url: str = "redis://127.0.0.1:6379/0"
    """Redis server of ``stream redis`` (a password in it is never logged)."""
    claim_idle_ms: int = Field(default=30_000, ge=100)
    """Redis: entries pending this long with another consumer (probably dead) are reclaimed (XAUTOCLAIM)."""
    kafka_bootstrap_servers: str | None = None
    """Kafka brokers of ``stream kafka`` (``host:port,host:port``)."""
    kafka_config: dict[str, str] = Field(default_factory=dict)
    """Extra librdkafka properties: ``consumer.NAME`` for the consumer, ``producer.NAME`` for the producer,
    a plain name for both."""
    max_record_bytes: int = Field(default=1024 * 1024, ge=64)
    """Largest record accepted; larger ones go to the dead-letter stream as ``payload_too_large``."""
    retry_backoff_max_s: float = Field(default=5.0, gt=0.0, le=300.0)
    """Longest pause between retries of a transient failure (no version loaded yet, a broker away)."""
    lag_interval_s: float = Field(default=5.0, gt=0.0)
    """How often the consumer lag (Kafka) or the pending count (Redis) is read for ``/metrics``."""
    metrics_host: str = "127.0.0.1"
    """Address of the ``/metrics``, ``/livez``, ``/readyz`` endpoint (``0.0.0.0`` in a Kubernetes pod)."""
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    """Port of that endpoint; ``None``: no endpoint; 0 picks a free port (printed at start)."""
    liveness_timeout_s: float = Field(default=60.0, gt=0.0)
    """``/livez`` fails when the worker loop has not turned for this long."""


class DriftSettings(Section):
    """Feature drift: served inputs against the version's registration sample (``modelport drift``)."""

    enabled: bool = True
    """Measure feature drift of every served deployment."""
    sample_rate: float = Field(default=1.0, gt=0.0, le=1.0)
    """Share of requests whose inputs are counted (drawn at random), within ``max_rows_per_s``."""
    max_rows_per_s: int = Field(default=1000, ge=1)
    """Most input rows each worker process counts per second; beyond it rows are skipped until the next
    second. Bounds the cost of drift whatever the traffic (a few µs per row, off the hot path)."""
    threshold: float = Field(default=0.2, gt=0.0)
    """A feature whose population stability index (PSI) reaches this is reported as drifted. By the usual
    rule of thumb, below 0.1 is stable, 0.1-0.2 a moderate shift, 0.2 and above a significant one."""
    window_s: float = Field(default=900.0, gt=0.0, le=7 * 86400.0)
    """The sliding window drift is measured over: requests of the last this many seconds."""
    bucket_s: float = Field(default=60.0, gt=0.0, le=3600.0)
    """Counts are kept per bucket of this many seconds; the window moves one bucket at a time."""
    min_rows: int = Field(default=100, ge=1)
    """Fewer rows than this in the window: no PSI is reported (too few to judge) and nothing is drifted."""
    bins: int = Field(default=10, ge=2, le=100)
    """Quantile bins per numeric feature, fixed from the reference sample."""
    max_categories: int = Field(default=20, ge=1, le=1000)
    """Most categories of a string feature given their own bin; the rest share an ``other`` bin."""
    flush_interval_s: float = Field(default=2.0, gt=0.0, le=60.0)
    """How often each server counts the sampled inputs and writes its bin counts to the state store."""
    max_pending: int = Field(default=10_000, ge=1)
    """Most sampled requests held between two flushes; beyond it the oldest are dropped, never the server."""


LogFields: TypeAlias = Literal["off", "metadata", "outputs", "full"]
"""What the prediction log keeps of a request: nothing; ids, variant, version, latency and time;
those and the outputs; those and the inputs."""


class PredictionLogSettings(Section):
    """The prediction log: a sampled record of requests and responses, written off the hot path (``modelport log``)."""

    fields: LogFields = "full"
    """What is logged of each sampled request by default: ``off``, ``metadata`` (request id, deployment,
    variant, version, latency, time), ``outputs`` (and the predictions) or ``full`` (and the inputs).
    Headers and credentials are never logged."""
    deployments: dict[str, LogFields] = Field(default_factory=dict)
    """Per-deployment override of ``fields``, e.g. ``{"credit_risk": "metadata", "internal": "off"}``."""
    sample_rate: float = Field(default=1.0, ge=0.0, le=1.0)
    """Share of requests logged (drawn at random), within ``max_rows_per_s``."""
    max_rows_per_s: int = Field(default=200, ge=1)
    """Most rows each worker process logs per second (a request counts its rows, up to
    ``max_rows_per_request``); requests beyond it are not logged until the next second."""
    path: Path | None = None
    """Folder of the Parquet dataset (``deployment=NAME/date=YYYY-MM-DD/*.parquet``).
    Default: ``<home>/predictions``."""
    retention_days: int = Field(default=7, ge=1, le=3650)
    """Days of the log kept; older date partitions are deleted by the writer."""
    queue_size: int = Field(default=10_000, ge=1)
    """Most records waiting for the writer; when it falls behind, new records are dropped (and counted)."""
    flush_interval_s: float = Field(default=1.0, gt=0.0, le=300.0)
    """How often the writer thread writes what is queued to a new Parquet file."""
    max_rows_per_request: int = Field(default=100, ge=1)
    """Rows of one request's inputs and outputs kept; a bigger request is logged truncated (``rows`` says so)."""
    sink: Literal["parquet", "redis", "kafka"] = "parquet"
    """Where records go: ``parquet`` (files under ``path``, the embedded default), ``redis`` (one stream
    per deployment, ``<topic>:<deployment>``) or ``kafka`` (the topic ``topic``), one JSON object per
    request. ``modelport log`` reads back from any of them."""
    topic: str = Field(default="modelport-predictions", min_length=1)
    """Kafka topic of the ``kafka`` sink; prefix of the Redis stream names of the ``redis`` sink."""
    redis_url: str | None = None
    """Redis server of the ``redis`` sink. Default: ``stream.redis_url``."""
    kafka_bootstrap_servers: str | None = None
    """Kafka brokers of the ``kafka`` sink. Default: ``stream.kafka_bootstrap_servers`` (whose
    ``stream.kafka_config`` producer properties apply too)."""
    send_timeout_s: float = Field(default=5.0, gt=0.0, le=300.0)
    """Longest a broker sink waits on one write (Redis) or on delivering what is in flight at shutdown
    (Kafka); records it gives up on are dropped and counted, never retried into the request path."""


class Settings(BaseSettings):
    """Where modelport keeps its registry and state, and how its parts behave."""

    model_config = SettingsConfigDict(env_prefix="MODELPORT_", env_nested_delimiter="__", extra="ignore")

    home: Path = Path(".modelport")
    """Folder of the embedded default: MLflow registry (SQLite + artifacts), state store, caches."""
    registry_uri: str | None = None
    """MLflow tracking/registry URI (``sqlite:///…``, ``postgresql://…``, ``http(s)://…``).
    Default: ``sqlite:///<home>/registry.db``."""
    artifact_root: str | None = None
    """Where new model artifacts are written when the registry is a database. Default: ``<home>/artifacts``."""
    state_uri: str | None = None
    """SQLAlchemy URL of modelport's own state (history, deployments, keys, rollouts, compiled models):
    ``sqlite:///PATH`` or ``postgresql://USER:PASSWORD@HOST/DATABASE``. Every table is named ``modelport_*``
    and migrations keep their revision in ``modelport_alembic_version``, so it may name the same PostgreSQL
    database as ``registry_uri`` (not the same SQLite file: SQLite has one writer at a time). A database made
    by an older modelport is upgraded in place on first use. Default: ``sqlite:///<home>/state.db``."""
    actor: str | None = None
    """Who changes made from the command line are recorded as, in the model history and the policy
    revisions. Default: the OS user. (The admin API records the API key's name; the rollout
    controller ``rollout-controller``.)"""
    sample_rows: int = Field(default=1000, ge=1, le=100_000)
    """Rows of ``--sample`` kept with a registered version for parity checks and warm-up."""
    auth: Literal["auto", "required", "disabled"] = "auto"
    """API keys on predict routes: ``auto`` requires them when serving on a non-loopback address,
    ``required`` always, ``disabled`` never. Admin routes always require an admin key."""
    serving: ServingSettings = Field(default_factory=ServingSettings)
    runtime: RuntimeSettings = Field(default_factory=RuntimeSettings)
    """Predictor choice, ONNX threads and micro-batching."""
    batch: BatchSettings = Field(default_factory=BatchSettings)
    """Batch scoring defaults: batch size, workers, Spark master."""
    rollouts: RolloutSettings = Field(default_factory=RolloutSettings)
    """Outcome reporting and the rollout controller."""
    stream: StreamSettings = Field(default_factory=StreamSettings)
    """Stream workers: micro-batches, consumer groups, Redis and Kafka connections, probes."""
    drift: DriftSettings = Field(default_factory=DriftSettings)
    """Feature drift against each version's registration sample."""
    prediction_log: PredictionLogSettings = Field(default_factory=PredictionLogSettings)
    """The sampled request/response log."""

    @property
    def resolved_home(self) -> Path:
        return self.home.expanduser().resolve()

    @property
    def resolved_registry_uri(self) -> str:
        return self.registry_uri or f"sqlite:///{self.resolved_home / 'registry.db'}"

    @property
    def resolved_state_uri(self) -> str:
        return self.state_uri or f"sqlite:///{self.resolved_home / 'state.db'}"

    @property
    def resolved_artifact_root(self) -> str:
        return self.artifact_root or (self.resolved_home / "artifacts").as_uri()

    @property
    def prediction_log_dir(self) -> Path:
        """Where the prediction log's Parquet dataset lives."""
        path = self.prediction_log.path
        return path.expanduser().resolve() if path is not None else self.resolved_home / "predictions"

    @property
    def cache_dir(self) -> Path:
        """This machine's caches: model versions (``models/``, by name and version), their compiled
        forms (``compiled/``, by content key; the state store holds the shared copy) and served-form
        folders (``served/``)."""
        return self.resolved_home / "cache"

    @property
    def served_forms_dir(self) -> Path | None:
        """Where versions served from their compiled form are written (``modelport.served_form``);
        None when ONNX is not preferred, so versions always load from their own files."""
        return self.cache_dir / "served" if "onnx" in self.runtime.prefer else None
