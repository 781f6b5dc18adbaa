"""The ONNX Runtime predictor: one session, inputs bound to the signature columns."""

from __future__ import annotations

from typing import Any

import numpy as np

from modelport.errors import InvalidSource
from modelport.runtime.features import Features
from modelport.runtime.result import PredictionResult, empty_result

__all__ = ["OnnxPredictor", "new_session"]

_ORT_DTYPES = {
    "tensor(float)": np.float32,
    "tensor(double)": np.float64,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
    "tensor(bool)": np.bool_,
    "tensor(string)": object,
}


def new_session(model: bytes | str, intra_op_threads: int = 1) -> Any:
    """An ``InferenceSession`` on the CPU with bounded threads.

    One intra-op thread by default: the server runs several workers and requests concurrently,
    so a session that grabs every core only adds contention.
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = intra_op_threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])


class OnnxPredictor:
    """Feeds :class:`Features` to an ONNX session and reads labels/values and probabilities back.

    A single model input takes the whole feature matrix; several inputs are matched to signature
    columns by name. The first output is the prediction; with ``probabilities=True`` the second
    is the ``n x n_classes`` probability tensor (converted with ZipMap disabled).
    """

    kind = "onnx"

    def __init__(
        self,
        session: Any,
        column_names: tuple[str, ...],
        *,
        classes: tuple[Any, ...] | None = None,
        probabilities: bool = False,
    ) -> None:
        self.session = session
        self.classes = classes
        self.predicts_probabilities = probabilities
        inputs = session.get_inputs()
        self._matrix_input = len(inputs) == 1 and inputs[0].name not in column_names
        self._inputs = [(i.name, _ORT_DTYPES.get(i.type), len(i.shape)) for i in inputs]
        if any(dtype is None for _, dtype, _ in self._inputs):
            raise InvalidSource(f"unsupported ONNX input types: {[i.type for i in inputs]}")
        self._outputs = [o.name for o in session.get_outputs()][: 2 if probabilities else 1]
        label_dtype = None if classes is None else np.asarray(classes).dtype
        self._label_dtype = np.dtype(object) if label_dtype is not None and label_dtype.kind == "U" else label_dtype

    def _feed(self, features: Features) -> dict[str, np.ndarray]:
        if self._matrix_input:
            name, dtype, _ = self._inputs[0]
            return {name: features.matrix_as(np.dtype(dtype))}
        columns = features.columns
        feed = {}
        for name, dtype, rank in self._inputs:
            if name not in columns:
                raise InvalidSource(f"ONNX input {name!r} is not a signature column")
            values = columns[name].astype(dtype, copy=False)
            feed[name] = values.reshape(-1, 1) if rank == 2 else values
        return feed

    def predict(self, features: Features) -> PredictionResult:
        if features.n_rows == 0:
            return empty_result(self.classes, self.predicts_probabilities)
        outputs = self.session.run(self._outputs, self._feed(features))
        predictions = np.asarray(outputs[0])
        if predictions.ndim == 2 and predictions.shape[1] == 1:
            predictions = predictions.ravel()
        if self._label_dtype is not None:
            predictions = predictions.astype(self._label_dtype, copy=False)
        probabilities = np.asarray(outputs[1]) if self.predicts_probabilities else None
        return PredictionResult(predictions, probabilities, self.classes)
