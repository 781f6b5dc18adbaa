"""Compile once: a version's ONNX form and parity verdict, stored where every process finds them.

Converting a model to ONNX and checking parity on its sample costs seconds; it is done once per
*key* and stored. The key hashes every file of the model directory (paths and bytes: the sample, which
decides parity, is one of them), the versions of the converters and of the libraries that load the
original, and the parity rule: the same key always means the same result, on any machine.

Two levels (:func:`compiled_store`):

- the **state store** (``modelport_compiled``), shared by every replica and batch job on every machine,
  also when the registry is an MLflow tracking server: a fresh replica loads the stored ONNX bytes
  instead of converting again;
- a **disk cache** under ``settings.cache_dir / "compiled"`` on each machine, written from the state
  store on first use: a restart needs no database round trip, and Spark tasks read it without a
  database connection.

A verdict "no ONNX" (conversion failed or parity refused) is stored too, so nobody retries it.

A load that knows which registered version it loads *links* the version to its key (with its
``MLmodel`` and sample). A replica whose disk has nothing of that version then serves it from a
*served-form folder* (``modelport.served_form``): those two files and the key, no estimator, no MLflow.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import uuid
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from modelport.runtime.parity import PROBABILITY_ATOL, REGRESSION_RTOL, ParityReport
from modelport.types import SAMPLE_FILENAME

if TYPE_CHECKING:
    from modelport.state import CompiledTable

__all__ = [
    "Compiled",
    "CompiledStore",
    "DiskCompiledStore",
    "SharedCompiledStore",
    "TieredCompiledStore",
    "compile_key",
]

log = logging.getLogger(__name__)

# Bump when the conversion plans or the verdict's meaning change: old entries then miss.
_FORMAT = "2"
_TOOLS = ("onnx", "onnxruntime", "skl2onnx", "onnxmltools", "scikit-learn", "xgboost", "lightgbm")


def _tool_versions() -> str:
    versions = []
    for tool in _TOOLS:
        try:
            versions.append(f"{tool}={metadata.version(tool)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{tool}=none")
    return ";".join(versions)


def compile_key(model_dir: Path) -> str:
    """The key of ``model_dir``'s compiled form: its files, the converter versions and the parity rule."""
    digest = hashlib.sha256(f"{_FORMAT};{_tool_versions()};{PROBABILITY_ATOL};{REGRESSION_RTOL}".encode())
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        digest.update(path.relative_to(model_dir).as_posix().encode() + b"\0")
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class Compiled:
    """The result of compiling one version: the ONNX bytes when it passed parity, else None, and why."""

    model_type: str
    """Class name of the original estimator."""
    predicts_probabilities: bool
    classes: tuple[Any, ...] | None
    parity: ParityReport
    onnx: bytes | None = field(default=None, repr=False)
    origin: str | None = field(default=None, compare=False)
    """Where a store found it (``disk``, ``state store``); None for a result made by this process."""

    @property
    def passed(self) -> bool:
        return self.onnx is not None

    def predictor(self, prefer: tuple[str, ...]) -> str:
        """The predictor kind a loader preferring ``prefer`` uses for this version."""
        if self.passed and "onnx" in prefer:
            return "onnx"
        return "native" if "native" in prefer else "pyfunc"

    def verdict(self) -> str:
        """Everything but the bytes, as the JSON text the stores keep."""
        return json.dumps(
            {
                "passed": self.passed,
                "model_type": self.model_type,
                "predicts_probabilities": self.predicts_probabilities,
                "classes": None if self.classes is None else list(self.classes),
                "parity": self.parity.to_dict(),
            },
            indent=2,
        )

    @classmethod
    def from_verdict(cls, verdict: str, onnx: bytes | None, origin: str) -> Compiled:
        data = json.loads(verdict)
        classes = data["classes"]
        return cls(
            model_type=str(data["model_type"]),
            predicts_probabilities=bool(data["predicts_probabilities"]),
            classes=None if classes is None else tuple(classes),
            parity=ParityReport.from_dict(data["parity"]),
            onnx=onnx if data["passed"] else None,
            origin=origin,
        )


class CompiledStore(Protocol):
    """Where compiled versions are kept; ``put`` of a key already there keeps the first."""

    def get(self, key: str) -> Compiled | None: ...

    def put(self, key: str, compiled: Compiled, *, model: str, version: str) -> None: ...

    def link(self, key: str, *, model: str, version: str, model_dir: Path) -> None:
        """Record that registered ``model``/``version`` (its files in ``model_dir``) compiles under ``key``."""
        ...


@dataclass(frozen=True)
class DiskCompiledStore:
    """``<root>/<key>/verdict.json`` (+ ``model.onnx`` when it passed parity), on one machine.

    Files are written to a temporary name and renamed, the verdict last, so concurrent workers never
    read a torn entry.
    """

    root: Path

    def get(self, key: str) -> Compiled | None:
        entry = self.root / key
        try:
            verdict = (entry / "verdict.json").read_text()
            passed = json.loads(verdict)["passed"]
            onnx = (entry / "model.onnx").read_bytes() if passed else None
            return Compiled.from_verdict(verdict, onnx, "disk")
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, compiled: Compiled, *, model: str, version: str) -> None:
        entry = self.root / key
        entry.mkdir(parents=True, exist_ok=True)
        if compiled.onnx is not None:
            _write_atomically(entry / "model.onnx", compiled.onnx)
        _write_atomically(entry / "verdict.json", compiled.verdict().encode())

    def link(self, key: str, *, model: str, version: str, model_dir: Path) -> None:
        """Nothing to do: the disk cache serves the machine that holds the model files already."""


class SharedCompiledStore:
    """The state store's ``modelport_compiled`` table, seen by every replica and batch job."""

    def __init__(self, table: CompiledTable) -> None:
        self._table = table

    def get(self, key: str) -> Compiled | None:
        record = self._table.get(key)
        return None if record is None else Compiled.from_verdict(record.verdict, record.payload, "state store")

    def put(self, key: str, compiled: Compiled, *, model: str, version: str) -> None:
        self._table.put(key, model=model, version=version, verdict=compiled.verdict(), payload=compiled.onnx)

    def link(self, key: str, *, model: str, version: str, model_dir: Path) -> None:
        sample_path = model_dir / SAMPLE_FILENAME
        sample = sample_path.read_bytes() if sample_path.is_file() else None
        mlmodel = (model_dir / "MLmodel").read_text()
        self._table.link(key, model=model, version=version, mlmodel=mlmodel, sample=sample)


@dataclass(frozen=True)
class TieredCompiledStore:
    """The machine's disk first, then the shared store; a shared hit is copied to disk."""

    local: DiskCompiledStore
    shared: CompiledStore

    def get(self, key: str) -> Compiled | None:
        found = self.local.get(key)
        if found is not None:
            return found
        try:
            found = self.shared.get(key)
        except Exception as exc:  # the compiled form only saves time: a store hiccup must not fail a load
            log.warning("cannot read compiled models from the state store (%s); compiling locally", exc)
            return None
        if found is not None:
            self.local.put(key, found, model="", version="")
        return found

    def put(self, key: str, compiled: Compiled, *, model: str, version: str) -> None:
        try:
            self.shared.put(key, compiled, model=model, version=version)
        except Exception as exc:  # as in get: keep the result on this machine at least
            log.warning("cannot store the compiled %s/%s in the state store: %s", model, version, exc)
        self.local.put(key, replace(compiled, origin=None), model=model, version=version)

    def link(self, key: str, *, model: str, version: str, model_dir: Path) -> None:
        try:
            self.shared.link(key, model=model, version=version, model_dir=model_dir)
        except Exception as exc:  # as in put: only other replicas' start-up time depends on it
            log.warning("cannot link %s/%s to its compiled form in the state store: %s", model, version, exc)


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
