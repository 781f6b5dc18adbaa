"""The message contract of every stream: what a record is, what an answer and a dead letter say.

Input: one record per message, a JSON object of column → value (Redis: the entry's field ``data``;
Kafka: the message value). Output: ``source_id``, ``prediction``, ``probabilities`` (classifiers,
one row of ``/predict``'s matrix), ``classes``, ``model_name``, ``model_version``, ``deployment``,
``variant``. Dead letter: ``source_id``, ``error`` (``code``, ``message``, ``details``) and the
record as received (text). docs/streaming.md is the user's copy of this.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from modelport.errors import InvalidRequest, ModelportError, PayloadTooLarge
from modelport.inference.codecs import dumps

if TYPE_CHECKING:
    from modelport.inference import Prediction

__all__ = ["Answer", "DeadLetter", "Outcome", "Record", "answers", "dead_letter", "decode"]


@dataclass(frozen=True, slots=True)
class Record:
    """One message as a source read it. ``timestamp_ms`` is when the broker got it (end-to-end latency)."""

    source_id: str
    value: bytes
    key: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    timestamp_ms: int | None = None
    partition: int | None = None  # Kafka only: where the offset is committed
    offset: int | None = None
    epoch: int = 0  # Kafka only: the source's count of revocations when it was read (see KafkaSource)


@dataclass(frozen=True, slots=True)
class Answer:
    """The output message of a record: its JSON ``body`` and the version that made it."""

    record: Record
    body: bytes
    version: str
    deployment: str


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A record that can never be scored: its JSON ``body`` names the reason."""

    record: Record
    body: bytes
    code: str


Outcome = Answer | DeadLetter
"""What a record became; a source writes outcomes and acknowledges their records in one step."""


def decode(record: Record, *, max_bytes: int) -> dict[str, Any]:
    """The record's row (raises ``PayloadTooLarge`` or ``InvalidRequest`` for a poison record)."""
    if len(record.value) > max_bytes:
        raise PayloadTooLarge(f"the record has {len(record.value)} bytes; the limit is {max_bytes}")
    if not record.value:
        raise InvalidRequest("the record is empty; send a JSON object of column values")
    try:
        row = orjson.loads(record.value)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(f"malformed JSON: {exc}") from None
    if not isinstance(row, dict):
        raise InvalidRequest(f"the record must be a JSON object of column values, not {type(row).__name__}")
    return row


def answers(records: Sequence[Record], prediction: Prediction) -> list[Answer]:
    """One output per record from a prediction of ``len(records)`` rows, in order."""
    result, served = prediction.result, prediction.served
    predictions = result.predictions.tolist()  # Python scalars: one conversion per batch, not per record
    probabilities = None if result.probabilities is None else result.probabilities.tolist()
    classes = None if result.classes is None else [c.item() if hasattr(c, "item") else c for c in result.classes]
    common = {
        "model_name": served.model_name,
        "model_version": served.version,
        "deployment": prediction.deployment,
        "variant": prediction.variant,
    }
    out: list[Answer] = []
    for i, record in enumerate(records):
        doc: dict[str, Any] = {
            "source_id": record.source_id,
            "prediction": predictions[i],
            "probabilities": None if probabilities is None else probabilities[i],
        }
        if classes is not None:
            doc["classes"] = classes
        doc.update(common)
        if record.key is not None:
            doc["key"] = record.key
        out.append(Answer(record, dumps(doc), served.version, prediction.deployment))
    return out


def dead_letter(record: Record, error: ModelportError | Exception) -> DeadLetter:
    """The dead-letter message of ``record``: why, and the record exactly as received (as text)."""
    if isinstance(error, ModelportError):
        reason: dict[str, Any] = {"code": error.code, "message": error.message}
        if error.details:
            reason["details"] = error.details
    else:
        reason = {"code": "prediction_failed", "message": f"{type(error).__name__}: {error}"[:1000]}
    doc: dict[str, Any] = {
        "source_id": record.source_id,
        "error": reason,
        "record": record.value.decode("utf-8", errors="replace"),
    }
    if record.key is not None:
        doc["key"] = record.key
    return DeadLetter(record, dumps(doc), reason["code"])
