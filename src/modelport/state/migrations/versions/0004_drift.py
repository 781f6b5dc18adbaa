"""Feature drift: every replica's bin counts per deployment, version and time bucket; feedback by request id.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "modelport_drift_counts",
        sa.Column("deployment", sa.String(128), primary_key=True),
        sa.Column("version", sa.String(64), primary_key=True),
        sa.Column("bucket", sa.BigInteger, primary_key=True),
        sa.Column("replica", sa.String(64), primary_key=True),
        sa.Column("rows", sa.BigInteger, nullable=False),
        sa.Column("bins", sa.Text, nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
    )
    # Pruning deletes by bucket alone, across deployments.
    op.create_index("ix_modelport_drift_counts_bucket", "modelport_drift_counts", ["bucket"])
    # ``modelport log --feedback`` joins the prediction log with feedback on the request id.
    op.create_index("ix_modelport_feedback_request_id", "modelport_feedback", ["request_id"])


def downgrade() -> None:
    op.drop_index("ix_modelport_feedback_request_id", table_name="modelport_feedback")
    op.drop_index("ix_modelport_drift_counts_bucket", table_name="modelport_drift_counts")
    op.drop_table("modelport_drift_counts")
