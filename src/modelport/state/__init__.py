"""modelport's own state store (SQLite or PostgreSQL, versioned with Alembic migrations).

Every table is named ``modelport_*`` and the migrations keep their revision in
``modelport_alembic_version``, so the store may share a PostgreSQL database with the MLflow registry.
"""

from modelport.state.compiled import CompiledRecord, CompiledTable, ServedForm
from modelport.state.drift import BucketCounts, CountKey, DriftCountStore, WindowCounts
from modelport.state.listener import RevisionListener
from modelport.state.outcomes import OutcomeKey, OutcomeStore
from modelport.state.policies import PolicyStore
from modelport.state.records import (
    ApiKey,
    DecisionRecord,
    Deployment,
    ExposureRecord,
    FeedbackRecord,
    KeyScope,
    Lease,
    OutcomeCounts,
    PolicyRevision,
    ShadowRecord,
)
from modelport.state.store import StateStore, StateTransaction
from modelport.state.timestamps import utcnow

__all__ = [
    "ApiKey",
    "BucketCounts",
    "CompiledRecord",
    "CompiledTable",
    "CountKey",
    "DecisionRecord",
    "Deployment",
    "DriftCountStore",
    "ExposureRecord",
    "FeedbackRecord",
    "KeyScope",
    "Lease",
    "OutcomeCounts",
    "OutcomeKey",
    "OutcomeStore",
    "PolicyRevision",
    "PolicyStore",
    "RevisionListener",
    "ServedForm",
    "ShadowRecord",
    "StateStore",
    "StateTransaction",
    "WindowCounts",
    "utcnow",
]
