"""Compiling a version ahead of time (``modelport compile``) and reporting what was compiled (``describe``)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from modelport.model_format import read_mlmodel
from modelport.runtime.compiled import CompiledStore, compile_key
from modelport.runtime.parity import ParityReport
from modelport.runtime.version_loader import VersionLoader

__all__ = ["CompileReport", "compile_version", "compiled_status"]

Status = Literal["compiled", "already compiled", "onnx model", "not compilable", "not compiled"]
_EVERY_KIND = ("onnx", "native", "pyfunc")


@dataclass(frozen=True)
class CompileReport:
    """What is known about one version's compiled form, and the predictor a loader would use."""

    model: str
    version: str
    status: Status
    """``compiled`` now; ``already compiled`` (found stored); ``onnx model`` (nothing to convert);
    ``not compilable`` (why: ``reason``); ``not compiled`` (nobody has compiled it yet)."""
    predictor: str | None
    """``onnx``, ``native`` or ``pyfunc`` with the settings' ``runtime.prefer``; None when not compiled yet."""
    model_type: str | None = None
    parity: ParityReport | None = None
    origin: str | None = None
    """Where a stored result was found (``disk``, ``state store``)."""
    key: str | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "version": self.version,
            "status": self.status,
            "predictor": self.predictor,
            "model_type": self.model_type,
            "parity": None if self.parity is None else self.parity.to_dict(),
            "origin": self.origin,
            "key": self.key,
            "reason": self.reason,
        }

    def summary(self) -> str:
        """One line for people: ``NAME/VERSION: status, predictor P (parity …)``."""
        head = f"{self.model}/{self.version}: {self.status}"
        if self.predictor is not None:
            head += f", predictor {self.predictor}"
        return head + self._details()

    def predictor_line(self) -> str:
        """What ``describe`` prints after ``predictor:``."""
        if self.status == "not compiled":
            return f"not compiled yet (modelport compile {self.model}/{self.version})"
        if self.status == "onnx model":
            return f"{self.predictor} (an ONNX model: nothing to compile)"
        return f"{self.predictor}{self._details()}"

    def _details(self) -> str:
        parity = self.parity
        text = ""
        if parity is not None and parity.passed:
            figures = [f"{parity.rows} rows"]
            if parity.label_agreement is not None:
                figures.append(f"labels agree {parity.label_agreement:.2%}")
            if parity.max_abs_diff is not None:
                figures.append(f"max diff {parity.max_abs_diff:.1e}")
            text += f" (parity passed: {', '.join(figures)})"
        elif parity is not None:
            text += f" (no ONNX: {parity.reason})"
        if self.origin is not None:
            text += "; stored on this machine" if self.origin == "disk" else f"; stored in the {self.origin}"
        return text


def compile_version(loader: VersionLoader, model_dir: Path, *, model: str, version: str) -> CompileReport:
    """Convert and parity-check ``model_dir`` now, unless its result is stored already; store it.

    Compiles whatever ``runtime.prefer`` says (a later change of preference must not need another
    compile); the report's ``predictor`` is the one ``loader.prefer`` picks.
    """
    loaded = replace(loader, prefer=_EVERY_KIND)(model_dir, model=model, version=version)
    if loaded.flavor == "onnx":
        return CompileReport(model, version, "onnx model", "onnx" if "onnx" in loader.prefer else "pyfunc")
    key = compile_key(model_dir)
    stored = loader.store.get(key) if loader.store is not None else None
    if stored is None:
        reason = loaded.parity.reason if loaded.parity is not None else "no scikit-learn-compatible estimator"
        return CompileReport(model, version, "not compilable", "pyfunc" if loaded.kind == "pyfunc" else None,
                             loaded.model_type, loaded.parity, key=key, reason=reason)  # fmt: skip
    status: Status = "compiled" if loaded.converted else "already compiled"
    return CompileReport(
        model,
        version,
        status,
        stored.predictor(loader.prefer),
        stored.model_type,
        stored.parity,
        None if loaded.converted else loaded.compiled_from,
        key,
    )


def compiled_status(
    store: CompiledStore, model_dir: Path, *, model: str, version: str, prefer: tuple[str, ...]
) -> CompileReport:
    """What ``store`` knows of ``model_dir`` without compiling anything."""
    if read_mlmodel(model_dir).flavor == "onnx":
        return CompileReport(model, version, "onnx model", "onnx" if "onnx" in prefer else "pyfunc")
    key = compile_key(model_dir)
    stored = store.get(key)
    if stored is None:
        return CompileReport(model, version, "not compiled", None, key=key)
    return CompileReport(
        model, version, "already compiled", stored.predictor(prefer), stored.model_type, stored.parity,
        stored.origin, key,
    )  # fmt: skip
