"""The message contract: what a poison record is, and what answers and dead letters say."""

from __future__ import annotations

import orjson
import pytest

from modelport.errors import InvalidInput, InvalidRequest, PayloadTooLarge
from modelport.stream.contract import Record, dead_letter, decode


def _record(value: bytes, key: str | None = None) -> Record:
    return Record(source_id="1-0", value=value, key=key)


def test_a_json_object_is_a_row() -> None:
    assert decode(_record(b'{"a": 1.5, "b": "x"}'), max_bytes=100) == {"a": 1.5, "b": "x"}


@pytest.mark.parametrize(
    ("value", "error", "words"),
    [
        (b"", InvalidRequest, "empty"),
        (b"{not json", InvalidRequest, "malformed JSON"),
        (b"[1, 2]", InvalidRequest, "not list"),
        (b'"text"', InvalidRequest, "not str"),
        (b'{"a": "' + b"x" * 200 + b'"}', PayloadTooLarge, "limit is 100"),
    ],
)
def test_poison_records_are_refused_with_a_reason(value: bytes, error: type[Exception], words: str) -> None:
    with pytest.raises(error, match=words):
        decode(_record(value), max_bytes=100)


def test_a_dead_letter_carries_the_reason_and_the_record_as_received() -> None:
    record = Record(source_id="scores/2/17", value=b"\xff{oops", key="user-9")
    letter = dead_letter(record, InvalidRequest("malformed JSON: nope"))
    doc = orjson.loads(letter.body)
    assert letter.code == "invalid_request"
    assert doc == {
        "source_id": "scores/2/17",
        "error": {"code": "invalid_request", "message": "malformed JSON: nope"},
        "record": "\ufffd{oops",
        "key": "user-9",
    }


def test_a_model_failure_is_named_prediction_failed_with_details_of_schema_errors_kept() -> None:
    crash = orjson.loads(dead_letter(_record(b"{}"), RuntimeError("boom")).body)
    assert crash["error"] == {"code": "prediction_failed", "message": "RuntimeError: boom"}
    schema = InvalidInput(
        "a: expected a number", details=[{"row": None, "column": "a", "problem": "expected a number"}]
    )
    assert orjson.loads(dead_letter(_record(b"{}"), schema).body)["error"]["details"][0]["column"] == "a"
