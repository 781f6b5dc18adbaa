"""A micro-batch in, one outcome per record out: the fast path, poison isolation, transient retries."""

from __future__ import annotations

import numpy as np
import orjson
import pytest

from modelport.inference import Node
from modelport.stream import Answer, DeadLetter, Record, Scorer, Stopping
from tests.api.models import Built

pytestmark = pytest.mark.anyio


def _records(rows: list[dict[str, object]]) -> list[Record]:
    return [Record(source_id=f"{i}-0", value=orjson.dumps(row)) for i, row in enumerate(rows)]


def _scorer(node: Node, deployment: str, **kw: object) -> Scorer:
    args: dict[str, object] = {"protocol": "test", "max_record_bytes": 10_000, "retry_max_s": 0.01}
    args |= kw
    args.setdefault("stopping", lambda: False)
    return Scorer(node.plane, deployment, **args)  # type: ignore[arg-type]


async def test_a_batch_is_answered_in_order_and_equals_the_model(node: Node, stream_models: dict[str, Built]) -> None:
    frame = stream_models["clf"].frame.head(50)
    outcomes = await _scorer(node, "clf").score(_records(frame.to_dict(orient="records")))

    docs = [orjson.loads(o.body) for o in outcomes]
    assert all(isinstance(o, Answer) for o in outcomes)
    assert [d["source_id"] for d in docs] == [f"{i}-0" for i in range(50)]
    model = stream_models["clf"].model
    assert [d["prediction"] for d in docs] == model.predict(frame).tolist()
    np.testing.assert_allclose([d["probabilities"] for d in docs], model.predict_proba(frame), rtol=1e-4, atol=1e-5)
    assert {(d["deployment"], d["model_version"], d["variant"], tuple(d["classes"])) for d in docs} == {
        ("clf", "1", "primary", (0, 1))
    }


async def test_poison_rows_become_dead_letters_and_the_rest_is_still_answered(
    node: Node, stream_models: dict[str, Built]
) -> None:
    rows = stream_models["clf"].frame.head(30).to_dict(orient="records")
    rows[3] = {**rows[3], "b": "not a number"}
    rows[17] = {k: v for k, v in rows[17].items() if k != "c"}
    records = _records(rows)
    records[25] = Record(source_id="25-0", value=b"{broken")

    outcomes = await _scorer(node, "clf").score(records)

    assert len(outcomes) == 30
    dead = {o.record.source_id: orjson.loads(o.body)["error"] for o in outcomes if isinstance(o, DeadLetter)}
    assert set(dead) == {"3-0", "17-0", "25-0"}
    assert dead["3-0"]["code"] == "invalid_input"
    assert "b" in dead["3-0"]["message"]
    assert dead["17-0"]["details"] == [{"row": None, "column": "c", "problem": "missing required column"}]
    assert dead["25-0"]["code"] == "invalid_request"
    good = [i for i in range(30) if i not in (3, 17, 25)]
    answered = [orjson.loads(o.body)["prediction"] for o in outcomes if isinstance(o, Answer)]
    frame = stream_models["clf"].frame.head(30).iloc[good]
    assert answered == stream_models["clf"].model.predict(frame).tolist()


async def test_values_the_model_rejects_are_found_record_by_record(node: Node, stream_models: dict[str, Built]) -> None:
    rows = stream_models["raising"].frame.head(10).to_dict(orient="records")
    rows[4] = {**rows[4], "a": 500.0}  # the model's own code raises for a > 100

    outcomes = await _scorer(node, "raising").score(_records(rows))

    kinds = [type(o).__name__ for o in outcomes]
    assert kinds == ["Answer"] * 4 + ["DeadLetter"] + ["Answer"] * 5
    assert orjson.loads(outcomes[4].body)["error"]["code"] == "prediction_failed"


async def test_a_deployment_without_a_loaded_version_is_retried_not_dead_lettered(
    node: Node, stream_models: dict[str, Built]
) -> None:
    retries: list[str] = []
    scorer = _scorer(node, "broken", stopping=lambda: len(retries) >= 3, on_retry=retries.append)
    rows = stream_models["clf"].frame.head(2).to_dict(orient="records")

    with pytest.raises(Stopping):
        await scorer.score(_records(rows))
    assert retries == ["not_ready"] * 3
