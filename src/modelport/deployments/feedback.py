"""Feedback for A/B tests: an observed outcome (or true label) attributed to the variant that served it.

By request id, the variant comes from the exposure the server recorded for that request (which also
holds the predicted label, so a true label becomes correct = 1 / wrong = 0). By key, the variant is
recomputed from the current policy — assignment is a pure function of the key — so no per-user
record is needed.
"""

from __future__ import annotations

import math

from modelport.deployments.codec import policy_from_json
from modelport.errors import InvalidRequest, NotFound
from modelport.state import FeedbackRecord, StateStore

__all__ = ["record_feedback"]


def record_feedback(
    store: StateStore,
    deployment: str,
    *,
    request_id: str | None = None,
    key: str | None = None,
    outcome: float | None = None,
    label: str | None = None,
) -> FeedbackRecord:
    """Store one observation; ``outcome`` (0/1 for conversions, or any number) or ``label``."""
    if (request_id is None) == (key is None):
        raise InvalidRequest("feedback names exactly one of request_id or key")
    if (outcome is None) == (label is None):
        raise InvalidRequest("feedback carries exactly one of outcome or label")
    if outcome is not None and not math.isfinite(outcome):
        raise InvalidRequest(f"outcome must be a finite number, got {outcome!r}")
    store.get_deployment(deployment)
    if request_id is not None:
        exposure = store.outcomes.exposure(request_id)
        if exposure is None or exposure.deployment != deployment:
            raise NotFound(f"no A/B request {request_id!r} was served by {deployment!r} (or it is not flushed yet)")
        revision, variant, version = exposure.policy_revision, exposure.variant, exposure.version
        if label is not None:
            outcome = 1.0 if str(label) == exposure.label else 0.0
    else:
        assert key is not None
        current = store.policies.current(deployment)
        if current is None or current.kind != "ab":
            raise InvalidRequest(f"deployment {deployment!r} runs no A/B test: feedback by key has no variant")
        if label is not None:
            raise InvalidRequest("a label needs the request_id of the prediction it judges")
        chosen = policy_from_json(current.policy).choose(key)
        revision, variant, version = current.id, chosen.name, chosen.version or 0
    assert outcome is not None
    record = FeedbackRecord(deployment, revision, variant, version, float(outcome), request_id=request_id, key=key)
    store.outcomes.record_feedback(record)
    return record
