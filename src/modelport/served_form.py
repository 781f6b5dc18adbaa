"""A *served-form folder*: a registered version as a replica serves it from its compiled form.

It holds the version's ``MLmodel`` (signature, flavor), its registration sample (warm-up, drift
reference) and ``modelport_compiled_key``, the key of the ONNX bytes that stand in for the model's own
files (``modelport.runtime`` loads it). The state store links each registered version whose compiled
form passed parity to those files (``modelport_compiled_versions``), so a process on any machine writes
the folder from one row: no MLflow, no download. It sits beside ``model_format.py`` at the bottom of the
layers because the registry writes it and the runtime reads it.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from modelport.types import SAMPLE_FILENAME

if TYPE_CHECKING:
    from modelport.state import ServedForm

__all__ = ["COMPILED_KEY_FILE", "write_served_form"]

COMPILED_KEY_FILE = "modelport_compiled_key"
"""In a served-form folder: the key of the compiled form that stands in for the model's own files."""


def write_served_form(form: ServedForm, root: Path) -> Path:
    """``root/<model>/<version>-<key>``: the version's ``MLmodel``, sample and compiled key (made once,
    renamed into place whole so concurrent workers never see half of it)."""
    target = root / form.model / f"{form.version}-{form.key[:16]}"
    if (target / COMPILED_KEY_FILE).is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    scratch.mkdir()
    (scratch / "MLmodel").write_text(form.mlmodel)
    if form.sample is not None:
        (scratch / SAMPLE_FILENAME).write_bytes(form.sample)
    (scratch / COMPILED_KEY_FILE).write_text(form.key)
    try:
        scratch.rename(target)
    except OSError:  # another worker made it first: same content
        shutil.rmtree(scratch, ignore_errors=True)
        if not (target / COMPILED_KEY_FILE).is_file():
            raise
    return target
