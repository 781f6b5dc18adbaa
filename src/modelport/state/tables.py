"""The state store's tables, as SQLAlchemy Core objects for queries.

The schema itself is created and changed only by the migrations in ``migrations/versions``;
these definitions must match the head revision (a test checks that they do).

Every name modelport creates starts with ``modelport_`` (tables, indexes, and the Alembic version
table ``modelport_alembic_version``), so the state store may live in the same database as the MLflow
registry: MLflow's tables and its ``alembic_version`` are never touched.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

history = sa.Table(
    "modelport_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("time", sa.DateTime(timezone=True), nullable=False),
    sa.Column("model", sa.String(256), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("actor", sa.String(256), nullable=False),
    sa.Column("alias", sa.String(256), nullable=True),
    sa.Column("from_version", sa.Integer, nullable=True),
    sa.Column("to_version", sa.Integer, nullable=True),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("undoes", sa.Integer, nullable=True),
    sa.Index("ix_modelport_history_model", "model"),
)

aliases = sa.Table(
    "modelport_aliases",
    metadata,
    sa.Column("model", sa.String(256), primary_key=True),
    sa.Column("alias", sa.String(256), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
)

deployments = sa.Table(
    "modelport_deployments",
    metadata,
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("model", sa.String(256), nullable=False),
    sa.Column("alias", sa.String(256), nullable=False),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
)

api_keys = sa.Table(
    "modelport_api_keys",
    metadata,
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("scope", sa.String(16), nullable=False),
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("key_hash", sa.String(128), nullable=False, unique=True),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked", sa.DateTime(timezone=True), nullable=True),
)

# One row (id=1): bumped by every change data planes must follow (alias moves, deployments).
revision = sa.Table(
    "modelport_revision",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)

# On PostgreSQL every bump also notifies this channel (modelport.state.listener).
REVISION_CHANNEL = "modelport_revision"

# -- rollouts (migration 0002): see modelport.state.policies and .outcomes for how each is written --

policy_revisions = sa.Table(
    "modelport_policy_revisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("deployment", sa.String(128), nullable=False),
    sa.Column("time", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(256), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("policy", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("undoes", sa.Integer, nullable=True),
    sa.Index("ix_modelport_policy_revisions_deployment", "deployment"),
)

rollout_decisions = sa.Table(
    "modelport_rollout_decisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("deployment", sa.String(128), nullable=False),
    sa.Column("time", sa.DateTime(timezone=True), nullable=False),
    sa.Column("policy_revision", sa.Integer, nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("numbers", sa.Text, nullable=False),
    sa.Index("ix_modelport_rollout_decisions_deployment", "deployment"),
)

controller_leases = sa.Table(
    "modelport_controller_leases",
    metadata,
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("holder", sa.String(128), nullable=False),
    sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
)

outcome_counters = sa.Table(
    "modelport_outcome_counters",
    metadata,
    sa.Column("deployment", sa.String(128), primary_key=True),
    sa.Column("policy_revision", sa.Integer, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("replica", sa.String(64), primary_key=True),
    sa.Column("count", sa.BigInteger, nullable=False),
    sa.Column("errors", sa.BigInteger, nullable=False),
    sa.Column("fallbacks", sa.BigInteger, nullable=False),
    sa.Column("latency_ms_sum", sa.Float, nullable=False),
    sa.Column("buckets", sa.Text, nullable=False),
    sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
)

exposures = sa.Table(
    "modelport_exposures",
    metadata,
    sa.Column("request_id", sa.String(128), primary_key=True),
    sa.Column("deployment", sa.String(128), nullable=False),
    sa.Column("policy_revision", sa.Integer, nullable=False),
    sa.Column("variant", sa.String(64), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("label", sa.String(256), nullable=True),
    sa.Column("time", sa.DateTime(timezone=True), nullable=False),
)

feedback = sa.Table(
    "modelport_feedback",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("deployment", sa.String(128), nullable=False),
    sa.Column("policy_revision", sa.Integer, nullable=False),
    sa.Column("variant", sa.String(64), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("request_id", sa.String(128), nullable=True),
    sa.Column("key", sa.String(256), nullable=True),
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("time", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_modelport_feedback_deployment", "deployment", "policy_revision"),
    sa.Index("ix_modelport_feedback_request_id", "request_id"),  # the prediction log's join (0004)
)

shadow_comparisons = sa.Table(
    "modelport_shadow_comparisons",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("deployment", sa.String(128), nullable=False),
    sa.Column("policy_revision", sa.Integer, nullable=False),
    sa.Column("primary_version", sa.Integer, nullable=False),
    sa.Column("shadow_version", sa.Integer, nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("agreeing_rows", sa.Integer, nullable=True),
    sa.Column("mean_abs_diff", sa.Float, nullable=True),
    sa.Column("max_abs_diff", sa.Float, nullable=True),
    sa.Column("primary_ms", sa.Float, nullable=False),
    sa.Column("shadow_ms", sa.Float, nullable=True),
    sa.Column("shadow_error", sa.Text, nullable=True),
    sa.Column("time", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_modelport_shadow_comparisons_deployment", "deployment", "policy_revision"),
)

# -- compiled models (migration 0003): one row per (content, converters) key, shared by every replica --

compiled = sa.Table(
    "modelport_compiled",
    metadata,
    sa.Column("key", sa.String(128), primary_key=True),
    sa.Column("model", sa.String(256), nullable=False),
    sa.Column("version", sa.String(64), nullable=False),
    sa.Column("verdict", sa.Text, nullable=False),  # JSON
    sa.Column("payload", sa.LargeBinary, nullable=True),  # the ONNX bytes; NULL when the verdict is "not ONNX"
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# Which compiled form serves which registered version (migration 0005), with the two files a replica needs
# besides the ONNX bytes: ``MLmodel`` (signature, flavor) and the registration sample (warm-up, drift).
compiled_versions = sa.Table(
    "modelport_compiled_versions",
    metadata,
    sa.Column("model", sa.String(256), primary_key=True),
    sa.Column("version", sa.String(64), primary_key=True),
    sa.Column("key", sa.String(128), nullable=False),
    sa.Column("mlmodel", sa.Text, nullable=False),
    sa.Column("sample", sa.LargeBinary, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# Feature drift: each replica's cumulative bin counts of one time bucket (epoch seconds), JSON per feature.
drift_counts = sa.Table(
    "modelport_drift_counts",
    metadata,
    sa.Column("deployment", sa.String(128), primary_key=True),
    sa.Column("version", sa.String(64), primary_key=True),
    sa.Column("bucket", sa.BigInteger, primary_key=True),
    sa.Column("replica", sa.String(64), primary_key=True),
    sa.Column("rows", sa.BigInteger, nullable=False),
    sa.Column("bins", sa.Text, nullable=False),
    sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_modelport_drift_counts_bucket", "bucket"),
)
