"""``load_model``: a registered model directory in, the fastest correct predictor out.

Order of preference: ONNX (only after it passed parity on the registration sample), the raw
framework estimator, MLflow pyfunc (always works). An ``onnx`` flavor model runs in ONNX Runtime
directly.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from modelport.errors import InvalidInput, InvalidSource
from modelport.model_format import onnx_predicts_probabilities, read_mlmodel
from modelport.runtime.compiled import Compiled, CompiledStore, compile_key
from modelport.runtime.compiler import compile_estimator
from modelport.runtime.features import Features
from modelport.runtime.native import NativePredictor, PyfuncPredictor
from modelport.runtime.ort import OnnxPredictor, new_session
from modelport.runtime.parity import ParityReport
from modelport.runtime.predictor import ClassifierPredictor, Predictor
from modelport.runtime.schema import InputSchema
from modelport.served_form import COMPILED_KEY_FILE
from modelport.types import SAMPLE_FILENAME

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SAMPLE_FILE", "LoadedModel", "load_model"]

log = logging.getLogger(__name__)

SAMPLE_FILE = SAMPLE_FILENAME  # written by the registry at registration
"""Rows kept beside ``MLmodel`` at registration, used for parity checks and warm-up."""
_WARM_UP_ROWS = 64
_NO_SAMPLE = "no sample rows kept with the model: parity cannot be checked, so ONNX is not used"


@dataclass(frozen=True, eq=False)
class LoadedModel:
    """A model version ready to predict, and how its predictor was chosen."""

    predictor: Predictor
    schema: InputSchema
    flavor: str
    """The model's MLflow flavor (``sklearn``, ``onnx``, ``python_function``, ...)."""
    model_type: str
    """Class name of the estimator, or ``"onnx"``/``"pyfunc"``."""
    predicts_probabilities: bool
    classes: tuple[Any, ...] | None
    parity: ParityReport | None
    """Why ONNX was (not) chosen; None when ONNX was never in question."""
    sample_table: pa.Table | None
    """The registration sample as kept on disk (``sample`` gives it as a DataFrame)."""
    compiled_from: str | None = None
    """Where the compiled verdict was found (``disk``, ``state store``); None when made here or not needed."""
    converted: bool = False
    """True when this load converted the model to ONNX and checked parity (nobody had stored the result)."""
    sample_features: Features | None = field(default=None, repr=False)

    @property
    def sample(self) -> pd.DataFrame | None:
        """The registration sample; converted on demand so a load never pays for pandas it does not use."""
        return None if self.sample_table is None else self.sample_table.to_pandas()

    @property
    def compile_source(self) -> str | None:
        """``converted`` (by this load), ``disk`` or ``state store`` (found compiled); None when no
        compilation was involved (an ONNX model, pyfunc only, ONNX not preferred, no sample)."""
        return "converted" if self.converted else self.compiled_from

    @property
    def cache_hit(self) -> bool:
        """The verdict was found compiled (on disk or in the state store) rather than made by this load."""
        return self.compiled_from is not None

    @property
    def kind(self) -> str:
        return self.predictor.kind

    def warm_up(self) -> None:
        """Predict one row and a small batch of the sample so the first request pays no setup cost."""
        if self.sample_features is None or self.sample_features.n_rows == 0:
            return
        self.predictor.predict(self.sample_features.slice(0, 1))
        self.predictor.predict(self.sample_features.slice(0, _WARM_UP_ROWS))


def load_model(
    model_dir: Path,
    *,
    store: CompiledStore | None = None,
    prefer: Sequence[str] = ("onnx", "native", "pyfunc"),
    intra_op_threads: int = 1,
    model: str = "",
    version: str = "",
) -> LoadedModel:
    """Load the MLflow model in ``model_dir`` with the first predictor kind of ``prefer`` that is correct.

    ``store`` keeps compiled forms: a version compiled by any process that shares it loads without
    converting; one compiled here is put there (``model``/``version`` label the entry, default: the
    folder's names). Given both, ``model`` and ``version`` name the registered version the folder
    holds: a version that serves as ONNX is then linked to its compiled form, so replicas elsewhere
    serve it from a served-form folder (see ``modelport.runtime.compiled``), which this loads too.
    Raises :class:`~modelport.errors.InvalidSource` when the directory is not a loadable MLflow model.
    """
    model_dir = Path(model_dir)
    meta = read_mlmodel(model_dir)
    schema = InputSchema(meta.columns)
    sample, sample_features = _read_sample(model_dir, schema)
    origin = _Origin(schema, meta.flavor, sample, sample_features)

    if (model_dir / COMPILED_KEY_FILE).is_file():
        return _load_served_form(model_dir, store, prefer, intra_op_threads, origin)
    if meta.flavor == "onnx" and "onnx" in prefer:
        return _load_onnx_flavor(model_dir, meta.flavors["onnx"], intra_op_threads, origin)

    key = compile_key(model_dir) if store is not None and "onnx" in prefer else None
    found = store.get(key) if store is not None and key is not None else None
    if found is not None:
        log.info("%s: compiled form found in the %s, not converting", model_dir, found.origin)
    registered = model != "" and version != ""
    if found is not None and found.onnx is not None:
        if store is not None and key is not None and registered:
            store.link(key, model=model, version=version, model_dir=model_dir)
        # A version already converted and checked: no need to even deserialize the original.
        return _from_compiled(found, found.onnx, intra_op_threads, origin)

    pyfunc = _load_pyfunc(model_dir)
    raw = _raw_estimator(pyfunc)
    if raw is None or not ({"onnx", "native"} & set(prefer)):
        return origin.loaded(PyfuncPredictor(pyfunc), "pyfunc", None)

    native = NativePredictor(raw)
    model_type = type(raw).__name__
    parity: ParityReport | None = None
    converted = False
    if "onnx" in prefer:
        if found is not None:
            parity = found.parity
        elif sample_features is None or sample_features.n_rows == 0:
            parity = ParityReport(0, False, reason=_NO_SAMPLE)
        else:
            log.info("compiling %s to ONNX and checking parity on %d rows", model_dir, sample_features.n_rows)
            compiled, onnx_predictor = compile_estimator(raw, native, schema, sample_features, intra_op_threads)
            converted = True
            if store is not None and key is not None:
                store.put(key, compiled, model=model or model_dir.parent.name, version=version or model_dir.name)
                if registered and onnx_predictor is not None:
                    store.link(key, model=model, version=version, model_dir=model_dir)
            if onnx_predictor is not None:
                return origin.loaded(onnx_predictor, model_type, compiled.parity, converted=True)
            parity = compiled.parity
    compiled_from = None if found is None else found.origin
    if "native" in prefer:
        return origin.loaded(native, model_type, parity, compiled_from=compiled_from, converted=converted)
    return origin.loaded(PyfuncPredictor(pyfunc), "pyfunc", parity, compiled_from=compiled_from, converted=converted)


@dataclass(frozen=True, slots=True)
class _Origin:
    """What every LoadedModel of one directory shares, whichever predictor wins."""

    schema: InputSchema
    flavor: str
    sample: pa.Table | None
    sample_features: Features | None

    def loaded(
        self,
        predictor: Predictor,
        model_type: str,
        parity: ParityReport | None,
        *,
        compiled_from: str | None = None,
        converted: bool = False,
    ) -> LoadedModel:
        probabilities, classes = False, None
        if isinstance(predictor, ClassifierPredictor):
            probabilities, classes = predictor.predicts_probabilities, predictor.classes
        return LoadedModel(
            predictor,
            self.schema,
            self.flavor,
            model_type,
            probabilities,
            classes,
            parity,
            self.sample,
            compiled_from,
            converted,
            self.sample_features,
        )


def _read_sample(model_dir: Path, schema: InputSchema) -> tuple[pa.Table | None, Features | None]:
    """The registration sample and its valid rows; an unusable sample is ignored, not fatal."""
    path = model_dir / SAMPLE_FILE
    if not path.is_file():
        return None, None
    try:
        table = pq.ParquetFile(path).read()  # not read_table: that imports all of pyarrow.dataset
        features, _rejected = schema.from_arrow(table.select([n for n in table.column_names if n in schema.names]))
    except (OSError, pa.ArrowException, InvalidInput):
        return None, None
    return table, features


def _load_pyfunc(model_dir: Path) -> Any:
    import mlflow.pyfunc

    try:
        return mlflow.pyfunc.load_model(str(model_dir))
    except Exception as exc:
        raise InvalidSource(f"cannot load the model in {model_dir}: {exc}") from exc


def _raw_estimator(pyfunc: Any) -> Any | None:
    """The scikit-learn-compatible estimator behind a pyfunc model, when there is one."""
    try:
        raw = pyfunc.get_raw_model()
    except Exception:  # most flavors do not implement get_raw_model
        return None
    return raw if hasattr(raw, "predict") and hasattr(raw, "get_params") else None


def _load_served_form(
    model_dir: Path, store: CompiledStore | None, prefer: Sequence[str], threads: int, origin: _Origin
) -> LoadedModel:
    """A folder holding a version's ``MLmodel``, sample and compiled key: served by its stored ONNX form."""
    key = (model_dir / COMPILED_KEY_FILE).read_text().strip()
    found = store.get(key) if store is not None and "onnx" in prefer else None
    if found is None or found.onnx is None:
        raise InvalidSource(
            f"{model_dir} holds only the compiled form {key[:16]} of a version, which "
            + ("ONNX is not preferred for" if "onnx" not in prefer else "the compiled store does not have")
        )
    log.info("%s: served from its compiled form in the %s", model_dir, found.origin)
    return _from_compiled(found, found.onnx, threads, origin)


def _from_compiled(found: Compiled, onnx: bytes, threads: int, origin: _Origin) -> LoadedModel:
    session = new_session(onnx, threads)
    predictor = OnnxPredictor(
        session, origin.schema.names, classes=found.classes, probabilities=found.predicts_probabilities
    )
    return origin.loaded(predictor, found.model_type, found.parity, compiled_from=found.origin)


def _load_onnx_flavor(model_dir: Path, conf: dict[str, Any], threads: int, origin: _Origin) -> LoadedModel:
    path = model_dir / conf.get("data", "model.onnx")
    try:
        session = new_session(str(path), threads)
    except Exception as exc:
        raise InvalidSource(f"cannot load ONNX model {path}: {exc}") from exc
    predictor = OnnxPredictor(session, origin.schema.names, probabilities=onnx_predicts_probabilities(session))
    return origin.loaded(predictor, "onnx", None)
