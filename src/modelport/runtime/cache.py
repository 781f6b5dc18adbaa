"""On-disk cache of ONNX conversions and their parity verdicts, keyed by the model's files.

Converting and checking parity costs a second or more; a server restart, a second worker process
or a rollback must not pay it again. The key hashes every file of the model directory (so the
sample, which decides parity, is part of it) and the converter versions (an upgrade re-converts).
Entries are written to a temporary name and renamed, so concurrent workers never read a torn file.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["CachedConversion", "ConversionCache", "model_key"]

_FORMAT = "1"
_TOOLS = ("onnx", "onnxruntime", "skl2onnx", "onnxmltools", "scikit-learn", "xgboost", "lightgbm")


def _tool_versions() -> str:
    versions = []
    for tool in _TOOLS:
        try:
            versions.append(f"{tool}={metadata.version(tool)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{tool}=none")
    return ";".join(versions)


def model_key(model_dir: Path) -> str:
    """A hex digest of every file under ``model_dir`` (paths and bytes) and the converter versions."""
    digest = hashlib.sha256(f"{_FORMAT};{_tool_versions()}".encode())
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        digest.update(path.relative_to(model_dir).as_posix().encode() + b"\0")
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class CachedConversion:
    """A stored verdict: ``onnx`` is the model bytes when parity passed, else None."""

    meta: dict[str, Any]
    onnx: bytes | None


class ConversionCache:
    """``<root>/<key>/verdict.json`` (+ ``model.onnx`` when the conversion passed parity)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def entry_dir(self, key: str) -> Path:
        return self.root / key

    def get(self, key: str) -> CachedConversion | None:
        entry = self.entry_dir(key)
        try:
            meta = json.loads((entry / "verdict.json").read_text())
            onnx = (entry / "model.onnx").read_bytes() if meta.get("passed") else None
        except (OSError, ValueError):
            return None
        return CachedConversion(meta, onnx)

    def put(self, key: str, meta: dict[str, Any], onnx: bytes | None) -> None:
        entry = self.entry_dir(key)
        entry.mkdir(parents=True, exist_ok=True)
        if onnx is not None:
            _write_atomically(entry / "model.onnx", onnx)
        # The verdict goes last: its presence means the entry is complete.
        _write_atomically(entry / "verdict.json", json.dumps(meta, indent=2).encode())


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
