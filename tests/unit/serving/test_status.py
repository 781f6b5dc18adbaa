"""The one table from errors to HTTP statuses."""

from __future__ import annotations

import orjson
import pytest

from modelport import errors
from modelport.serving import status_for
from modelport.serving.status import error_body


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.DeploymentNotFound("x"), 404),
        (errors.VersionNotFound("x"), 404),
        (errors.InvalidInput("x"), 422),
        (errors.InvalidRequest("x"), 400),
        (errors.UnsupportedMediaType("x"), 415),
        (errors.PayloadTooLarge("x"), 413),
        (errors.Unauthorized("x"), 401),
        (errors.Forbidden("x"), 403),
        (errors.RolloutConflict("x"), 409),
        (errors.NotReady("x"), 503),
        (errors.BackendError("x"), 503),
        (errors.ModelportError("x"), 500),
    ],
)
def test_each_error_class_has_its_status(error: errors.ModelportError, status: int) -> None:
    assert status_for(error) == status


def test_a_new_subclass_gets_its_parents_status() -> None:
    class ShapeMismatch(errors.InvalidInput):
        code = "shape_mismatch"

    assert status_for(ShapeMismatch("x")) == 422


def test_envelope_carries_code_message_details_and_request_id() -> None:
    body = orjson.loads(error_body("invalid_input", "bad", "rid-1", [{"row": 0, "column": "a", "problem": "p"}]))
    assert body == {
        "error": {
            "code": "invalid_input",
            "message": "bad",
            "details": [{"row": 0, "column": "a", "problem": "p"}],
            "request_id": "rid-1",
        }
    }
    assert "details" not in orjson.loads(error_body("not_ready", "wait", None))["error"]
