"""modelport's own state store (SQLite or PostgreSQL, versioned with Alembic migrations)."""

from modelport.state.store import StateStore, StateTransaction

__all__ = ["StateStore", "StateTransaction"]
