"""Alembic environment: always run from ``modelport.state.migrate`` with a live connection."""

from __future__ import annotations

from alembic import context

from modelport.state.migrate import VERSION_TABLE

connection = context.config.attributes["connection"]
# Our own version table: Alembic's default ``alembic_version`` is MLflow's when both share a database.
context.configure(connection=connection, target_metadata=None, render_as_batch=True, version_table=VERSION_TABLE)
with context.begin_transaction():
    context.run_migrations()
