"""MLflow's scoring protocol, transport-free: ``/invocations`` bodies → an ``InferenceInput``.

JSON bodies carry exactly one of ``dataframe_split``, ``dataframe_records``, ``instances``,
``inputs`` (plus optional ``params``), as MLflow's own scoring server and clients send them;
``text/csv`` bodies are a header line and rows. Rows are validated against the model schema by
the runtime, never through pandas when the payload is JSON.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from modelport.errors import InvalidInput, InvalidRequest
from modelport.inference.codecs.encoding import dumps, jsonable
from modelport.inference.prediction import InferenceInput
from modelport.model_format import BadRow

if TYPE_CHECKING:
    from modelport.inference.prediction import Prediction
    from modelport.runtime import Features, InputSchema

__all__ = ["FORMATS", "answer", "decode_csv", "decode_invocation"]

FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")


def decode_invocation(payload: Any) -> InferenceInput:
    """One JSON ``/invocations`` document (raises 400-class errors before any model is involved)."""
    if not isinstance(payload, dict):
        raise InvalidRequest(f"the body must be a JSON object with exactly one of {', '.join(FORMATS)}")
    present = [key for key in FORMATS if key in payload]
    if len(present) != 1:
        found = ", ".join(sorted(payload)) or "none"
        raise InvalidRequest(f"send exactly one of {', '.join(FORMATS)} (found keys: {found})")
    params = payload.get("params")
    if params is not None and not isinstance(params, dict):
        raise InvalidRequest("'params' must be a JSON object")
    key = present[0]
    data = payload[key]
    if key == "dataframe_split":
        return _split(data)
    if key == "dataframe_records":
        if not isinstance(data, list):
            raise InvalidRequest("'dataframe_records' must be a list of row objects")
        return _records(data)
    return _tensor_like(key, data)


def _split(data: Any) -> InferenceInput:
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise InvalidRequest("'dataframe_split' must be an object with 'data' (and usually 'columns')")
    rows: list[Any] = data["data"]
    columns = data.get("columns")
    if columns is not None and not (isinstance(columns, list) and all(isinstance(c, str) for c in columns)):
        raise InvalidRequest("'dataframe_split.columns' must be a list of column names")
    _all_rows(rows)
    first = dict(zip(columns, rows[0], strict=False)) if columns is not None and rows else None
    return InferenceInput(lambda schema: _from_rows(schema, rows, columns), n_rows=len(rows), record=first)


def _records(rows: list[Any]) -> InferenceInput:
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise InvalidInput(
                "every record must be a JSON object",
                details=[BadRow(i, None, "not an object of column values")],
            )
    return InferenceInput(lambda schema: schema.from_records(rows), n_rows=len(rows), record=rows[0] if rows else None)


def _tensor_like(key: str, data: Any) -> InferenceInput:
    # TF-serving style: a list of records, a list of rows in signature order, or columns.
    if isinstance(data, dict):
        columns: Mapping[str, Any] = data
        lengths = {len(v) if isinstance(v, list) else -1 for v in columns.values()}
        if -1 in lengths:
            raise InvalidRequest(f"'{key}' as an object must map each column to a list of values")
        return InferenceInput(lambda schema: schema.from_columns(columns), n_rows=max(lengths, default=0))
    if not isinstance(data, list):
        raise InvalidRequest(f"'{key}' must be a list of rows or records, or an object of columns")
    if data and all(isinstance(r, dict) for r in data):
        return _records(data)
    _all_rows(data)
    return InferenceInput(lambda schema: _from_rows(schema, data, None), n_rows=len(data))


def _from_rows(schema: InputSchema, rows: list[Any], columns: list[str] | None) -> Features:
    # The runtime's fastest validation path takes records; well-formed rows become records
    # for about a microsecond each. Anything odd goes to from_rows, which names the problem.
    names = columns if columns is not None else list(schema.names)
    width = len(names)
    if len(set(names)) == width and all(len(row) == width for row in rows):
        return schema.from_records([dict(zip(names, row, strict=True)) for row in rows])
    return schema.from_rows(rows, columns)


def _all_rows(rows: Sequence[Any]) -> None:
    for i, row in enumerate(rows):
        if not isinstance(row, list):
            raise InvalidInput(
                "every row must be a JSON list of values in column order",
                details=[BadRow(i, None, "not a list of values")],
            )


def decode_csv(body: bytes) -> InferenceInput:
    """A ``text/csv`` body (header + rows, as ``DataFrame.to_csv(index=False)`` writes it).

    Every row must have as many fields as the header: pandas would otherwise read extra leading
    fields as an index and predict on shifted columns. The string columns of the schema decide how
    pandas reads the values.
    """
    import pandas as pd

    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequest(f"the CSV body is not UTF-8: {exc}") from None
    n_rows = _count_csv_rows(text)

    def parse(schema: InputSchema) -> Features:
        strings = {c.name: str for c in schema.columns if c.dtype == "string"}
        try:
            frame = pd.read_csv(io.StringIO(text), dtype=strings, index_col=False)
        except (ValueError, pd.errors.ParserError) as exc:
            raise InvalidRequest(f"malformed CSV: {exc}") from None
        return schema.from_pandas(frame)

    return InferenceInput(parse, n_rows=n_rows)


def _count_csv_rows(text: str) -> int:
    """Data rows (blank lines skipped, as pandas does); ``InvalidInput`` for a row of another width."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader, None)
        if not header:
            raise InvalidRequest("the CSV body has no header line; send the column names first")
        n_rows = 0
        for fields in reader:
            if not fields:
                continue
            if len(fields) != len(header):
                problem = f"{len(fields)} fields where the header has {len(header)}"
                raise InvalidInput(f"CSV row {n_rows}: {problem}", details=[BadRow(n_rows, None, problem)])
            n_rows += 1
    except csv.Error as exc:
        raise InvalidRequest(f"malformed CSV: {exc}") from None
    return n_rows


def answer(prediction: Prediction) -> bytes:
    """MLflow's answer: ``{"predictions": [...]}``."""
    return dumps({"predictions": jsonable(prediction.result.predictions)})
