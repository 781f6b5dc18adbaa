"""Turning what a user registers (an estimator file, an ONNX file, an MLflow model) into one
self-contained MLflow model folder with a signature and a kept sample.

Everything here happens in a scratch folder before the registry is touched, so a bad source
fails without leaving anything behind.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from modelport.errors import InvalidSample, InvalidSource, MissingSignature
from modelport.model_format import estimator_predicts_probabilities, flavor_of, onnx_predicts_probabilities
from modelport.registry.samples import SAMPLE_FILENAME

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PICKLE_SUFFIXES", "PreparedModel", "prepare_source"]

PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")
_SKOPS_SUFFIXES = (".skops",)
# Modules whose types a .skops file may contain without the user vouching for them.
_TRUSTED_SKOPS_PREFIXES = (
    "sklearn.",
    "numpy.",
    "scipy.",
    "xgboost.",
    "lightgbm.",
    "builtins.",
    "collections.",
)

_SIGNATURE_HELP = (
    "has no signature: pass --sample FILE (a CSV or Parquet file of input rows) so modelport can infer one"
)


@dataclass(frozen=True, slots=True)
class PreparedModel:
    path: Path
    flavor: str
    predicts_probabilities: bool | None


def _load_estimator(path: Path) -> Any:
    suffix = path.suffix.lower()
    try:
        if suffix in PICKLE_SUFFIXES:
            import joblib

            return joblib.load(path)
        import skops.io as sio

        untrusted = sio.get_untrusted_types(file=path)
        unknown = [t for t in untrusted if not t.startswith(_TRUSTED_SKOPS_PREFIXES)]
        if unknown:
            raise InvalidSource(f"{path.name} contains types modelport does not trust: {', '.join(unknown[:5])}")
        return sio.load(path, trusted=untrusted)
    except InvalidSource:
        raise
    except Exception as exc:  # any unpickling failure means "not a model file we can read"
        raise InvalidSource(f"cannot load {path.name} as a model: {type(exc).__name__}: {exc}") from exc


def _feature_frame(model: Any, sample: pd.DataFrame) -> pd.DataFrame:
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        return sample
    wanted = [str(n) for n in names]
    missing = [n for n in wanted if n not in sample.columns]
    if missing:
        raise InvalidSample(f"sample lacks the model's input columns: {', '.join(missing)}")
    return sample[wanted]


def _infer_signature(model: Any, features: pd.DataFrame) -> Any:
    from mlflow.models import infer_signature

    try:
        output = model.predict(features.head(100))
    except Exception as exc:
        raise InvalidSample(f"the model cannot predict the sample: {type(exc).__name__}: {exc}") from exc
    return infer_signature(features, np.asarray(output))


def _skops_trusted_types(model: Any) -> list[str] | None:
    """The types skops must be told to trust for this estimator, or None if skops cannot store it."""
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(data=sio.dumps(model))
    except Exception:
        return None
    if any(not t.startswith(_TRUSTED_SKOPS_PREFIXES) for t in untrusted):
        return None
    return list(untrusted)


def _save_sklearn(model: Any, sample: pd.DataFrame | None, dst: Path) -> pd.DataFrame:
    import mlflow.sklearn

    if sample is None:
        raise MissingSignature(f"a {type(model).__name__} estimator file {_SIGNATURE_HELP}")
    features = _feature_frame(model, sample)
    signature = _infer_signature(model, features)
    trusted = _skops_trusted_types(model)
    if trusted is not None:
        mlflow.sklearn.save_model(
            model, dst, signature=signature, pip_requirements=["scikit-learn"], skops_trusted_types=trusted
        )
    else:
        # skops cannot serialize this estimator (XGBoost, LightGBM, custom classes): fall back to
        # cloudpickle, which is then loaded only from our own registry.
        mlflow.sklearn.save_model(
            model,
            dst,
            signature=signature,
            pip_requirements=["scikit-learn"],
            serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_CLOUDPICKLE,
        )
    return features


def _save_onnx(path: Path, sample: pd.DataFrame | None, dst: Path) -> tuple[pd.DataFrame, bool]:
    try:
        import onnx
        import onnxruntime as ort
    except ImportError as exc:  # the extra is optional
        raise InvalidSource("registering .onnx files needs the onnx extra: pip install 'modelport[onnx]'") from exc
    import mlflow.onnx
    from mlflow.models import infer_signature

    if sample is None:
        raise MissingSignature(f"the ONNX file {path.name} {_SIGNATURE_HELP}")
    try:
        proto = onnx.load(str(path))
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise InvalidSource(f"cannot load {path.name} as an ONNX model: {exc}") from exc
    inputs = session.get_inputs()
    if len(inputs) == 1 and len(inputs[0].shape) == 2:
        matrix = sample.to_numpy(dtype=np.float32)
        try:
            output = session.run(None, {inputs[0].name: matrix[:100]})[0]
        except Exception as exc:
            raise InvalidSample(f"the ONNX model cannot score the sample: {exc}") from exc
    else:
        raise InvalidSource(f"{path.name}: only ONNX models with one 2-D input tensor can be registered")
    signature = infer_signature(sample, np.asarray(output))
    mlflow.onnx.save_model(proto, dst, signature=signature, pip_requirements=["onnxruntime"])
    return sample, onnx_predicts_probabilities(session)


def _copy_mlflow_model(source: str, sample: pd.DataFrame | None, dst: Path, tracking_uri: str) -> pd.DataFrame | None:
    import mlflow.artifacts
    from mlflow.models import Model

    local = Path(source)
    try:
        if local.is_dir():
            shutil.copytree(local, dst)
        else:
            downloaded = mlflow.artifacts.download_artifacts(
                artifact_uri=source, dst_path=str(dst.parent / "download"), tracking_uri=tracking_uri
            )
            shutil.copytree(downloaded, dst)
        meta = Model.load(str(dst / "MLmodel"))
    except Exception as exc:
        raise InvalidSource(f"cannot read an MLflow model from {source}: {exc}") from exc
    if meta.signature is None:
        if sample is None:
            raise MissingSignature(f"the MLflow model {source} {_SIGNATURE_HELP}")
        import mlflow.pyfunc

        pyfunc = mlflow.pyfunc.load_model(str(dst))
        meta.signature = _infer_signature(pyfunc, sample)
        meta.save(str(dst / "MLmodel"))
    elif sample is not None:
        names = meta.signature.inputs.input_names()
        missing = [n for n in names if n not in sample.columns]
        if missing:
            raise InvalidSample(f"sample lacks the model's input columns: {', '.join(missing)}")
        sample = sample[names]
    return sample


def _mlflow_model_predicts_proba(model_dir: Path, flavor: str) -> bool | None:
    """Whether a copied MLflow model gives class probabilities; None when the flavor cannot say."""
    try:
        if flavor == "sklearn":
            import mlflow.sklearn

            return estimator_predicts_probabilities(mlflow.sklearn.load_model(str(model_dir)))
        if flavor == "onnx":
            import onnxruntime as ort
            import yaml

            conf = yaml.safe_load((model_dir / "MLmodel").read_text(encoding="utf-8"))["flavors"]["onnx"]
            path = model_dir / conf.get("data", "model.onnx")
            return onnx_predicts_probabilities(ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]))
    except Exception:  # a model MLflow can copy but not load here: say "unknown" rather than fail
        return None
    return None


def prepare_source(
    source: str,
    sample: pd.DataFrame | None,
    workdir: Path,
    tracking_uri: str,
    *,
    artifact_uri: str | None = None,
) -> PreparedModel:
    """Write an MLflow model folder for ``source`` under ``workdir``; validate it end to end.

    ``artifact_uri`` is where a ``models:/`` source's files really are (the registry resolves it).
    """
    dst = workdir / "model"
    path = Path(source)
    is_uri = source.startswith(("runs:/", "models:/"))
    if not is_uri and not path.exists():
        raise InvalidSource(f"no such file or folder: {source}")
    predicts_proba: bool | None = None
    if is_uri or (path.is_dir() and (path / "MLmodel").is_file()):
        kept = _copy_mlflow_model(artifact_uri or source, sample, dst, tracking_uri)
        from mlflow.models import Model

        flavor = flavor_of(Model.load(str(dst / "MLmodel")).flavors)
        predicts_proba = _mlflow_model_predicts_proba(dst, flavor)
    elif path.is_dir():
        raise InvalidSource(f"{source} is a folder without an MLmodel file: not an MLflow model")
    elif path.suffix.lower() == ".onnx":
        (kept, predicts_proba), flavor = _save_onnx(path, sample, dst), "onnx"
    elif path.suffix.lower() in PICKLE_SUFFIXES + _SKOPS_SUFFIXES:
        model = _load_estimator(path)
        if not callable(getattr(model, "predict", None)):
            raise InvalidSource(f"{path.name} holds a {type(model).__name__}, not an estimator with predict()")
        kept = _save_sklearn(model, sample, dst)
        flavor = "sklearn"
        predicts_proba = estimator_predicts_probabilities(model)
    else:
        raise InvalidSource(
            f"{path.name}: unsupported model file; use .joblib/.pkl/.skops (scikit-learn API), .onnx, "
            "or an MLflow model (folder, runs:/…, models:/…)"
        )
    if kept is not None:
        kept.to_parquet(dst / SAMPLE_FILENAME, index=False)
    return PreparedModel(path=dst, flavor=flavor, predicts_probabilities=predicts_proba)
