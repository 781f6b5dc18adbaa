"""``verify_bundle``: is this folder exactly the bundle that was exported, and does it still reproduce it?

Checks, in order, each failing with one :class:`~modelport.errors.BundleInvalid` line: the manifest
parses; with ``trust``, ``manifest.sig`` is that key's signature of it; no file is missing, changed
(sha256) or added; onnxruntime loads the model; the golden vectors come out within the manifest's
tolerances. The runner that ships in the bundle does the loading and the golden run, so what is
verified here is what a device runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelport.edge.runner import MANIFEST, BundleError, Runner
from modelport.edge.signing import SIGNATURE_FILE, verify_signature
from modelport.errors import BundleInvalid

__all__ = ["Verification", "verify_bundle"]

_UNLISTED = {MANIFEST, SIGNATURE_FILE}


@dataclass(frozen=True)
class Verification:
    """A bundle that passed: what it is, how its golden vectors compared, whether a key vouched for it."""

    path: Path
    manifest: dict[str, Any]
    rows: int
    figures: dict[str, Any]
    signed_by: str | None
    """The trusted public key's file name when the signature was checked, else None."""

    def to_dict(self) -> dict[str, Any]:
        model = self.manifest["model"]
        return {
            "bundle": str(self.path),
            "model": model["name"],
            "version": model["version"],
            "quantization": self.manifest["quantization"],
            "model_format": self.manifest["model_format"],
            "golden_rows": self.rows,
            "figures": self.figures,
            "signed_by": self.signed_by,
            "passed": True,
        }


def verify_bundle(path: Path, *, trust: Path | None = None) -> Verification:
    """Verify the bundle in ``path``; with ``trust`` (an Ed25519 public key) also its signature."""
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        raise BundleInvalid(f"{path} is not an edge bundle (no {MANIFEST})")
    manifest_bytes = manifest_path.read_bytes()
    try:
        manifest = json.loads(manifest_bytes)
        listed = set(manifest["files"])
    except (ValueError, KeyError, TypeError) as exc:
        raise BundleInvalid(f"{manifest_path}: unreadable manifest ({exc})") from exc
    signed_by = None
    if trust is not None:
        signature = path / SIGNATURE_FILE
        if not signature.is_file():
            raise BundleInvalid(f"{path} is not signed (no {SIGNATURE_FILE}) and --trust requires a signature")
        verify_signature(manifest_bytes, signature.read_text(encoding="ascii", errors="replace").strip(), trust)
        signed_by = trust.name
    present = {p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()}
    added = sorted(present - listed - _UNLISTED - {"__pycache__"} - {p for p in present if "__pycache__" in p})
    if added:
        raise BundleInvalid(f"{added[0]}: a file the manifest does not list (the bundle was changed)")
    try:
        runner = Runner(path, threads=1)
        if manifest["model_format"] == "onnx":
            _check_graph(path / manifest["model_file"])
        result = runner.self_test()
    except BundleError as exc:
        raise BundleInvalid(str(exc)) from exc
    if not result.passed:
        raise BundleInvalid(f"golden vectors out of tolerance: {'; '.join(result.failures)}")
    return Verification(path, manifest, result.rows, result.figures, signed_by)


def _check_graph(model: Path) -> None:
    import onnx

    try:
        onnx.checker.check_model(str(model))
    except onnx.checker.ValidationError as exc:
        raise BundleError(f"{model.name}: not valid ONNX ({exc})") from exc
