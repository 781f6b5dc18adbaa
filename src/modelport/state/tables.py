"""The state store's tables, as SQLAlchemy Core objects for queries.

The schema itself is created and changed only by the migrations in ``migrations/versions``;
these definitions must match the head revision (a test checks that they do).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

history = sa.Table(
    "history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("time", sa.DateTime(timezone=True), nullable=False),
    sa.Column("model", sa.String(256), nullable=False, index=True),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("actor", sa.String(256), nullable=False),
    sa.Column("alias", sa.String(256), nullable=True),
    sa.Column("from_version", sa.Integer, nullable=True),
    sa.Column("to_version", sa.Integer, nullable=True),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("undoes", sa.Integer, nullable=True),
)

aliases = sa.Table(
    "aliases",
    metadata,
    sa.Column("model", sa.String(256), primary_key=True),
    sa.Column("alias", sa.String(256), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
)

deployments = sa.Table(
    "deployments",
    metadata,
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("model", sa.String(256), nullable=False),
    sa.Column("alias", sa.String(256), nullable=False),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
)

api_keys = sa.Table(
    "api_keys",
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
    "revision",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)
