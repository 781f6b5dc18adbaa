"""Own namespace: every table, index and (PostgreSQL) sequence and constraint gets the ``modelport_`` prefix;
a table for compiled models.

With the prefix (and the version table ``modelport_alembic_version``, see ``modelport.state.migrate``)
the state store can share one database with the MLflow registry. A database made by 0001/0002 kept
its revision in the shared-name ``alembic_version``; ``migrate`` carries it over before this runs.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

PREFIX = "modelport_"

TABLES = (
    "history",
    "aliases",
    "deployments",
    "api_keys",
    "revision",
    "policy_revisions",
    "rollout_decisions",
    "controller_leases",
    "outcome_counters",
    "exposures",
    "feedback",
    "shadow_comparisons",
)

# (table, columns) of each index 0001/0002 made; the index is named ix_<table>_<first column>.
INDEXES = (
    ("history", ("model",)),
    ("policy_revisions", ("deployment",)),
    ("rollout_decisions", ("deployment",)),
    ("feedback", ("deployment", "policy_revision")),
    ("shadow_comparisons", ("deployment", "policy_revision")),
)


def _rename_all(old_prefix: str, new_prefix: str) -> None:
    for table, columns in INDEXES:
        op.drop_index(f"ix_{old_prefix}{table}_{columns[0]}", table_name=old_prefix + table)
    for table in TABLES:
        op.rename_table(old_prefix + table, new_prefix + table)
        if op.get_bind().dialect.name == "postgresql":
            _rename_pg_satellites(old_prefix + table, new_prefix + table)
    for table, columns in INDEXES:
        op.create_index(f"ix_{new_prefix}{table}_{columns[0]}", new_prefix + table, list(columns))


def _rename_pg_satellites(old: str, new: str) -> None:
    """PostgreSQL named the primary keys, unique constraints and serial sequences after the table."""
    conn = op.get_bind()
    constraints = conn.execute(
        sa.text("SELECT conname FROM pg_constraint WHERE conrelid = CAST(:t AS regclass)"), {"t": new}
    ).scalars()
    for name in constraints:
        if name.startswith(old + "_"):
            op.execute(f'ALTER TABLE "{new}" RENAME CONSTRAINT "{name}" TO "{new}{name[len(old) :]}"')
    sequences = conn.execute(
        sa.text(
            "SELECT s.relname FROM pg_class s JOIN pg_depend d ON d.objid = s.oid "
            "WHERE s.relkind = 'S' AND d.refobjid = CAST(:t AS regclass)"
        ),
        {"t": new},
    ).scalars()
    for name in sequences:
        if name.startswith(old + "_"):
            op.execute(f'ALTER SEQUENCE "{name}" RENAME TO "{new}{name[len(old) :]}"')


def upgrade() -> None:
    _rename_all("", PREFIX)
    op.create_table(
        "modelport_compiled",
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("model", sa.String(256), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("verdict", sa.Text, nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("modelport_compiled")
    _rename_all(PREFIX, "")
