"""Rollouts: policy revisions, controller decisions and leases, outcome counters, feedback, shadow comparisons.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "policy_revisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("deployment", sa.String(128), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(256), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("policy", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("undoes", sa.Integer, nullable=True),
    )
    op.create_index("ix_policy_revisions_deployment", "policy_revisions", ["deployment"])
    op.create_table(
        "rollout_decisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("deployment", sa.String(128), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("policy_revision", sa.Integer, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("numbers", sa.Text, nullable=False),
    )
    op.create_index("ix_rollout_decisions_deployment", "rollout_decisions", ["deployment"])
    op.create_table(
        "controller_leases",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "outcome_counters",
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
    op.create_table(
        "exposures",
        sa.Column("request_id", sa.String(128), primary_key=True),
        sa.Column("deployment", sa.String(128), nullable=False),
        sa.Column("policy_revision", sa.Integer, nullable=False),
        sa.Column("variant", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("label", sa.String(256), nullable=True),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("deployment", sa.String(128), nullable=False),
        sa.Column("policy_revision", sa.Integer, nullable=False),
        sa.Column("variant", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("request_id", sa.String(128), nullable=True),
        sa.Column("key", sa.String(256), nullable=True),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_feedback_deployment", "feedback", ["deployment", "policy_revision"])
    op.create_table(
        "shadow_comparisons",
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
    )
    op.create_index("ix_shadow_comparisons_deployment", "shadow_comparisons", ["deployment", "policy_revision"])


def downgrade() -> None:
    for name in (
        "shadow_comparisons",
        "feedback",
        "exposures",
        "outcome_counters",
        "controller_leases",
        "rollout_decisions",
        "policy_revisions",
    ):
        op.drop_table(name)
