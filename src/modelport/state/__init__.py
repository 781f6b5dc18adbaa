"""modelport's own state store (SQLite or PostgreSQL, versioned with Alembic migrations)."""

from modelport.state.drift import BucketCounts, CountKey, DriftCountStore, WindowCounts
from modelport.state.listener import RevisionListener
from modelport.state.outcomes import OutcomeKey, OutcomeStore
from modelport.state.policies import PolicyStore
from modelport.state.records import (
    DecisionRecord,
    ExposureRecord,
    FeedbackRecord,
    Lease,
    OutcomeCounts,
    PolicyRevision,
    ShadowRecord,
)
from modelport.state.store import StateStore, StateTransaction

__all__ = [
    "BucketCounts",
    "CountKey",
    "DecisionRecord",
    "DriftCountStore",
    "ExposureRecord",
    "FeedbackRecord",
    "Lease",
    "OutcomeCounts",
    "OutcomeKey",
    "OutcomeStore",
    "PolicyRevision",
    "PolicyStore",
    "RevisionListener",
    "ShadowRecord",
    "StateStore",
    "StateTransaction",
    "WindowCounts",
]
