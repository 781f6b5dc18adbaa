"""Open Inference Protocol V2 (KServe v2 / Triton HTTP), transport-free.

Requests carry either one tensor holding the whole feature matrix (``[rows, columns]`` in
signature order) or one tensor per column (``[rows]`` or ``[rows, 1]``); string columns come as
BYTES. Triton's binary tensor extension is understood (``Inference-Header-Content-Length``), so
``tritonclient.http`` works with its defaults. Responses are JSON tensors.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson

from modelport.errors import InvalidInput, InvalidRequest
from modelport.inference.codecs._tensor_values import flatten, json_values
from modelport.inference.codecs.encoding import jsonable
from modelport.inference.prediction import InferenceInput
from modelport.model_format import BadRow

if TYPE_CHECKING:
    from modelport.inference.pool import ServedVersion
    from modelport.runtime import Features, InputSchema, LoadedModel, PredictionResult

__all__ = [
    "DATATYPES",
    "V2Request",
    "datatype_of",
    "decode_request",
    "encode_outputs",
    "model_metadata",
    "output_datatypes",
    "schema_datatype",
]

DATATYPES: dict[str, np.dtype[Any]] = {
    "BOOL": np.dtype(np.bool_),
    "UINT8": np.dtype(np.uint8),
    "UINT16": np.dtype(np.uint16),
    "UINT32": np.dtype(np.uint32),
    "UINT64": np.dtype(np.uint64),
    "INT8": np.dtype(np.int8),
    "INT16": np.dtype(np.int16),
    "INT32": np.dtype(np.int32),
    "INT64": np.dtype(np.int64),
    "FP16": np.dtype(np.float16),
    "FP32": np.dtype(np.float32),
    "FP64": np.dtype(np.float64),
    "BYTES": np.dtype(object),
}
_RECORDS_UP_TO = 8
_MLFLOW_TO_V2 = {
    "double": "FP64",
    "float": "FP32",
    "long": "INT64",
    "integer": "INT32",
    "boolean": "BOOL",
    "string": "BYTES",
}


class V2Request:
    """A decoded infer request: named tensors (numpy, shaped) and the outputs asked for."""

    def __init__(self, request_id: str | None, tensors: dict[str, np.ndarray[Any, Any]], outputs: list[str]):
        self.id = request_id
        self.tensors = tensors
        self.outputs = outputs

    @property
    def n_rows(self) -> int:
        return min((t.shape[0] if t.ndim else 1 for t in self.tensors.values()), default=0)

    def input(self) -> InferenceInput:
        """What the data plane predicts on (the tensors become features once the schema is known)."""
        return InferenceInput(self.features, n_rows=self.n_rows)

    def features(self, schema: InputSchema) -> Features:
        """Tensors → validated features: one matrix tensor, or one tensor per column."""
        names = schema.names
        if len(self.tensors) == 1:
            ((name, tensor),) = self.tensors.items()
            if tensor.ndim == 2 and not (name in names and tensor.shape[1] == 1):
                # The whole feature matrix in one tensor, columns in signature order.
                if tensor.shape[1] != len(names):
                    expected = f"expected [rows, {len(names)}] for columns {list(names)}"
                    raise _bad(name, f"shape {list(tensor.shape)}: {expected}")
                if tensor.shape[0] <= _RECORDS_UP_TO and tensor.dtype.kind in "fiu":
                    # A few rows validate fastest as records (the runtime's fast path).
                    return schema.from_records([dict(zip(names, row, strict=True)) for row in tensor.tolist()])
                return schema.from_columns({c: tensor[:, i] for i, c in enumerate(names)})
        columns: dict[str, np.ndarray[Any, Any]] = {}
        for name, tensor in self.tensors.items():
            if tensor.ndim == 2 and tensor.shape[1] == 1:
                tensor = tensor[:, 0]
            if tensor.ndim != 1:
                raise _bad(name, f"shape {list(tensor.shape)}: a column tensor must be [rows] or [rows, 1]")
            columns[name] = tensor
        return schema.from_columns(columns)


def decode_request(body: bytes, header_length: int | None) -> V2Request:
    """Parse a V2 infer body (JSON, or JSON + binary tensors when ``header_length`` is given)."""
    head = body if header_length is None else body[:header_length]
    try:
        doc = orjson.loads(head)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(f"malformed JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("inputs"), list) or not doc["inputs"]:
        raise InvalidRequest("an infer request is a JSON object with a non-empty 'inputs' list")
    binary = memoryview(body)[header_length:] if header_length is not None else memoryview(b"")
    offset = 0
    tensors: dict[str, np.ndarray[Any, Any]] = {}
    for spec in doc["inputs"]:
        tensor, used = _tensor(spec, binary[offset:])
        offset += used
        if spec["name"] in tensors:
            raise _bad(spec["name"], "this input name is sent twice")
        tensors[spec["name"]] = tensor
    outputs = [o["name"] for o in doc.get("outputs") or [] if isinstance(o, dict) and "name" in o]
    request_id = doc.get("id")
    return V2Request(str(request_id) if request_id is not None else None, tensors, outputs)


def _tensor(spec: Any, binary: memoryview) -> tuple[np.ndarray[Any, Any], int]:
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise InvalidRequest("each input needs 'name', 'shape', 'datatype' and 'data'")
    name: str = spec["name"]
    shape = spec.get("shape")
    datatype = spec.get("datatype")
    if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise _bad(name, f"shape {shape!r} is not a list of non-negative integers")
    if not isinstance(datatype, str) or datatype not in DATATYPES:
        raise _bad(name, f"datatype {datatype!r} is not one of {', '.join(DATATYPES)}")
    dtype = DATATYPES[datatype]
    size = math.prod(shape)
    params = spec.get("parameters") or {}
    if not isinstance(params, dict):
        raise _bad(name, "'parameters' must be an object")
    row_width = size // shape[0] if shape and shape[0] else 1

    def bad_value(index: int, problem: str) -> InvalidInput:
        return _bad(name, problem, row=index // row_width if row_width else None)

    used = 0
    if "binary_data_size" in params:
        used = params["binary_data_size"]
        if not isinstance(used, int) or isinstance(used, bool) or used < 0:
            raise _bad(name, f"binary_data_size {used!r} is not a byte count")
        if used > len(binary):
            raise InvalidRequest(f"input {name!r} announces {used} binary bytes; fewer were sent")
        raw = bytes(binary[:used])
        flat = _bytes_tensor(raw, name) if datatype == "BYTES" else _frombuffer(raw, dtype, name)
    elif "data" in spec:
        flat = json_values(flatten(spec["data"]), dtype, datatype, bad_value)
    else:
        raise InvalidRequest(f"input {name!r} has neither 'data' nor binary data")
    if flat.size != size:
        raise _bad(name, f"shape {shape} needs {size} values; {flat.size} were sent")
    return flat.reshape(shape), used


def _frombuffer(raw: bytes, dtype: np.dtype[Any], name: str) -> np.ndarray[Any, Any]:
    if len(raw) % dtype.itemsize:
        raise _bad(name, f"{len(raw)} binary bytes is not a whole number of {dtype} values")
    return np.frombuffer(raw, dtype=dtype.newbyteorder("<"))


def _bytes_tensor(raw: bytes, name: str) -> np.ndarray[Any, Any]:
    # Triton's BYTES serialization: a 4-byte little-endian length before each element.
    items: list[str] = []
    pos = 0
    while pos < len(raw):
        if pos + 4 > len(raw):
            raise _bad(name, "truncated BYTES tensor")
        length = int.from_bytes(raw[pos : pos + 4], "little")
        items.append(_text(raw[pos + 4 : pos + 4 + length]))
        pos += 4 + length
    return np.array(items, dtype=object)


def _text(value: Any) -> Any:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes | bytearray) else value


def _bad(column: str, problem: str, *, row: int | None = None) -> InvalidInput:
    where = f"input {column!r}" if row is None else f"input {column!r}, row {row}"
    return InvalidInput(f"{where}: {problem}", details=[BadRow(row, column, problem)])


def datatype_of(values: np.ndarray[Any, Any]) -> str:
    """The V2 datatype naming a numpy array's dtype (object and strings are BYTES)."""
    for name, dtype in DATATYPES.items():
        if values.dtype == dtype and name != "BYTES":
            return name
    return "BYTES"


def schema_datatype(mlflow_type: str) -> str:
    return _MLFLOW_TO_V2.get(mlflow_type, "BYTES")


def output_datatypes(model: LoadedModel) -> dict[str, str]:
    """The datatype of each output ``infer`` returns; the model metadata declares the same ones."""
    classes = model.classes
    out = {"predict": datatype_of(np.asarray(classes)) if classes else "FP64"}
    if model.predicts_probabilities:
        out["predict_proba"] = "FP64"
    return out


def model_metadata(name: str, served: ServedVersion, loaded: list[str]) -> dict[str, Any]:
    """``GET /v2/models/{name}``: inputs from the signature, outputs as ``infer`` returns them."""
    model = served.model
    datatypes = output_datatypes(model)
    outputs: list[dict[str, Any]] = [{"name": "predict", "datatype": datatypes["predict"], "shape": [-1]}]
    if "predict_proba" in datatypes:
        n_classes = len(model.classes) if model.classes is not None else -1
        outputs.append({"name": "predict_proba", "datatype": datatypes["predict_proba"], "shape": [-1, n_classes]})
    return {
        "name": name,
        "versions": loaded,
        "platform": f"modelport_{model.kind}",
        "inputs": [{"name": c.name, "datatype": schema_datatype(c.dtype), "shape": [-1]} for c in model.schema.columns],
        "outputs": outputs,
        "parameters": {"version": served.version, "model_name": served.model_name},
    }


def encode_outputs(result: PredictionResult, wanted: Sequence[str], model: LoadedModel) -> list[Mapping[str, Any]]:
    """``predict`` ([rows]) and, for classifiers, ``predict_proba`` ([rows, classes]) as V2 outputs,
    in the datatypes the metadata declares."""
    tensors: dict[str, np.ndarray[Any, Any]] = {"predict": result.predictions}
    if result.probabilities is not None:
        tensors["predict_proba"] = result.probabilities
    unknown = [n for n in wanted if n not in tensors]
    if unknown:
        raise InvalidRequest(f"unknown output(s) {unknown}; this model has {list(tensors)}")
    datatypes = output_datatypes(model)
    out: list[Mapping[str, Any]] = []
    for n, t in tensors.items():
        if wanted and n not in wanted:
            continue
        datatype = datatypes.get(n, datatype_of(t))
        if datatype != "BYTES":
            t = t.astype(DATATYPES[datatype], copy=False)
        out.append({"name": n, "datatype": datatype, "shape": list(t.shape), "data": jsonable(t.reshape(-1))})
    return out
