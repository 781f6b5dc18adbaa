"""Feedback attributed to variants: by key (recomputed from the policy) and by request id (from exposures)."""

from __future__ import annotations

import pytest

from modelport.deployments import Rollouts, policy_from_json, record_feedback
from modelport.errors import InvalidRequest, NotFound
from modelport.state import ExposureRecord


def test_feedback_by_key_goes_to_the_keys_variant_and_labels_score_the_exposed_prediction(rollouts: Rollouts) -> None:
    started = rollouts.ab("credit", [1, 2], weights=[50, 50])
    policy = policy_from_json(started.policy)
    store = rollouts.store
    by_key = record_feedback(store, "credit", key="user-7", outcome=1.0)
    assert (by_key.policy_revision, by_key.variant) == (started.id, policy.choose("user-7").name)
    store.outcomes.record_exposures([ExposureRecord("req-1", "credit", started.id, "B", 2, "1")])
    right = record_feedback(store, "credit", request_id="req-1", label="1")
    wrong = record_feedback(store, "credit", request_id="req-1", label="0")
    assert (right.value, wrong.value, right.variant, right.version) == (1.0, 0.0, "B", 2)
    assert len(store.outcomes.feedback("credit", started.id)) == 3


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"key": "k", "request_id": "r", "outcome": 1.0}, InvalidRequest),
        ({"key": "k"}, InvalidRequest),
        ({"key": "k", "outcome": float("nan")}, InvalidRequest),
        ({"key": "k", "label": "1"}, InvalidRequest),
        ({"request_id": "unknown", "outcome": 1.0}, NotFound),
    ],
)
def test_malformed_feedback_is_refused(rollouts: Rollouts, kwargs: dict[str, object], error: type[Exception]) -> None:
    rollouts.ab("credit", [1, 2])
    with pytest.raises(error):
        record_feedback(rollouts.store, "credit", **kwargs)  # type: ignore[arg-type]


def test_feedback_by_key_needs_a_running_ab_test(rollouts: Rollouts) -> None:
    with pytest.raises(InvalidRequest, match="runs no A/B test"):
        record_feedback(rollouts.store, "credit", key="k", outcome=1.0)
