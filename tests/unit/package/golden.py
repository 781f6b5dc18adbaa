"""Golden files: what a generator renders for a fixed spec, compared byte for byte."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden"


def check_golden(folder: str, files: Mapping[str, str]) -> None:
    """Compare ``files`` with ``golden/folder``; ``UPDATE_GOLDEN=1`` rewrites them instead."""
    root = GOLDEN / folder
    if os.environ.get("UPDATE_GOLDEN") == "1":
        for relative, text in files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    stored = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
    assert stored == set(files), f"golden/{folder} holds other files: {sorted(stored ^ set(files))}"
    for relative, text in files.items():
        assert (root / relative).read_text() == text, f"golden/{folder}/{relative} differs (UPDATE_GOLDEN=1)"
