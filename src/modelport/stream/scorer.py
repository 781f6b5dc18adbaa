"""A micro-batch of records → one outcome per record, through the data plane.

The fast path is one ``DataPlane.predict`` of N rows per micro-batch: when the deployment's policy
sends every request to the same version (single, blue-green), nothing is lost by not routing
record by record. Policies that route by key (canary, A/B, shadow) get one prediction per record,
each with its own key and request id, submitted together so the version's adaptive batcher
regroups them into few model calls; a record whose shared call failed is retried alone before it
is called poison.

Poison records never stall the stream. Bad bytes are caught while decoding. A schema violation
names its rows (``InvalidInput.details``): those rows are dead-lettered and the rest predicted
again, so a batch with a few poison rows costs two model calls, not N. Anything the batch call
cannot attribute to a row (a model rejecting a value) falls back to one prediction per record to
find the poison ones (one after the other: records submitted together share a model call, and
a failed call fails all of them). Transient failures (no version loaded yet, the store unreachable) are
retried with backoff and never dead-lettered: the records stay unacknowledged until they succeed
or the worker stops.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from modelport.deployments import DEFAULT_KEY_HEADER
from modelport.errors import BackendError, DeploymentNotFound, InvalidInput, ModelportError, NotReady
from modelport.inference import request_id_var
from modelport.inference.codecs import seed
from modelport.stream.contract import Answer, DeadLetter, Outcome, Record, answers, dead_letter, decode

if TYPE_CHECKING:
    from modelport.inference import DataPlane, Prediction

__all__ = ["Scorer", "Stopping"]

log = logging.getLogger(__name__)

_TRANSIENT = (NotReady, BackendError, DeploymentNotFound)
_BATCHABLE_POLICIES = frozenset({"single", "blue-green"})  # every key goes to the same version
_MODEL_FAILED = "prediction_failed"


class Stopping(Exception):
    """The worker was asked to stop while retrying: leave the batch unacknowledged."""


class Scorer:
    """Scores micro-batches of ``deployment`` on ``plane``; ``stopping()`` ends transient retries."""

    def __init__(
        self,
        plane: DataPlane,
        deployment: str,
        *,
        protocol: str,
        max_record_bytes: int,
        retry_max_s: float,
        stopping: Callable[[], bool],
        on_retry: Callable[[str], None] = lambda reason: None,
    ) -> None:
        self._plane = plane
        self._deployment = deployment
        self._protocol = protocol
        self._max_bytes = max_record_bytes
        self._retry_max_s = retry_max_s
        self._stopping = stopping
        self._on_retry = on_retry

    async def score(self, records: Sequence[Record]) -> list[Outcome]:
        """One outcome per record, in order (raises ``Stopping`` when asked to stop mid-retry)."""
        outcomes: list[Outcome | None] = [None] * len(records)
        rows: dict[int, dict[str, Any]] = {}
        for i, record in enumerate(records):
            try:
                rows[i] = decode(record, max_bytes=self._max_bytes)
            except ModelportError as exc:
                outcomes[i] = dead_letter(record, exc)
        if rows:
            scored = await (self._keyed_batch if self._keyed() else self._batched)(records, rows)
            for i, outcome in scored.items():
                outcomes[i] = outcome
        return [o for o in outcomes if o is not None]

    def _keyed(self) -> bool:
        agent = self._plane.rollouts
        if agent is None:
            return False
        _, policy = agent.table.policy(self._deployment)
        return policy.kind not in _BATCHABLE_POLICIES

    async def _batched(self, records: Sequence[Record], rows: dict[int, dict[str, Any]]) -> dict[int, Outcome]:
        done: dict[int, Outcome] = {}
        pending = list(rows)
        while pending:
            batch = [records[i] for i in pending]
            try:
                prediction = await self._predict([rows[i] for i in pending], batch[0], {})
            except InvalidInput as exc:
                bad = {d["row"] for d in exc.details if isinstance(d.get("row"), int) and 0 <= d["row"] < len(pending)}
                if not bad:
                    done.update(await self._one_by_one(records, {i: rows[i] for i in pending}))
                    return done
                for j in bad:  # the rows the schema named: dead letters; the others are predicted again
                    done[pending[j]] = dead_letter(batch[j], _row_error(exc, j))
                pending = [i for j, i in enumerate(pending) if j not in bad]
                continue
            except (Stopping, *_TRANSIENT):
                raise
            except Exception:  # not attributable to a row: find the poison records one by one
                log.info("a batch of %d records failed; predicting them one by one", len(pending))
                done.update(await self._one_by_one(records, {i: rows[i] for i in pending}))
                return done
            done.update(zip(pending, answers(batch, prediction), strict=True))
            return done
        return done

    async def _keyed_batch(self, records: Sequence[Record], rows: dict[int, dict[str, Any]]) -> dict[int, Outcome]:
        """One routed prediction per record, submitted together (the version's batcher regroups them)."""
        indices = list(rows)
        results = await asyncio.gather(*(self._one(records[i], rows[i]) for i in indices))
        done = dict(zip(indices, results, strict=True))
        # A model call that failed failed every record batched with it: retry those alone before
        # calling any of them poison.
        suspects = {i: rows[i] for i, o in done.items() if isinstance(o, DeadLetter) and o.code == _MODEL_FAILED}
        if suspects:
            done.update(await self._one_by_one(records, suspects))
        return done

    async def _one_by_one(self, records: Sequence[Record], rows: dict[int, dict[str, Any]]) -> dict[int, Outcome]:
        """Each record alone, one after the other: a failure can only be that record's."""
        return {i: await self._one(records[i], row) for i, row in rows.items()}

    async def _one(self, record: Record, row: dict[str, Any]) -> Outcome:
        try:
            prediction = await self._predict([row], record, _headers(record))
        except (Stopping, *_TRANSIENT):
            raise
        except InvalidInput as exc:
            return dead_letter(record, _row_error(exc, 0))
        except Exception as exc:  # the model rejected this record's values
            return dead_letter(record, exc)
        answer: Answer = answers([record], prediction)[0]
        return answer

    async def _predict(self, rows: list[dict[str, Any]], first: Record, headers: dict[str, str]) -> Prediction:
        """Predict ``rows``, retrying transient failures with backoff until they pass or the worker stops."""
        delay = 0.05
        while True:
            token = request_id_var.set(first.source_id)
            try:
                return await self._plane.predict(
                    self._deployment, seed.decode_features({"features": rows}), protocol=self._protocol, headers=headers
                )
            except _TRANSIENT as exc:
                if self._stopping():
                    raise Stopping from exc
                self._on_retry(exc.code)
                log.warning("%s; retrying in %.2f s", exc.message, delay)
            finally:
                request_id_var.reset(token)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._retry_max_s)


def _headers(record: Record) -> dict[str, str]:
    """What a policy keyed by ``header:NAME`` reads: the message headers, and the message key as the
    default key header (``X-Modelport-Key``), as an HTTP client would send it."""
    headers = dict(record.headers)
    if record.key is not None:
        headers.setdefault(DEFAULT_KEY_HEADER, record.key)
    return headers


def _row_error(exc: InvalidInput, row: int) -> InvalidInput:
    """The part of a batch's schema error that concerns one row, worded for that record alone."""
    mine = [{**d, "row": None} for d in exc.details if d.get("row") == row]
    if not mine:
        return InvalidInput(exc.message)
    message = "; ".join(f"{d['column']}: {d['problem']}" if d.get("column") else str(d["problem"]) for d in mine)
    return InvalidInput(message, details=mine)
