"""``DriftReport``: one deployment's served inputs against its version's reference, feature by feature.

The JSON shape (``to_dict``) is what ``GET /deployments/{name}/drift`` returns and
``modelport drift NAME --json`` prints::

    {"deployment", "model", "version", "threshold", "min_rows", "enough_data", "drifted": [names],
     "window": {"seconds", "start", "end", "rows", "reference_rows"},
     "features": [{"name", "kind", "psi", "drifted", "rows", "bins": [{"label", "reference", "current"}]}]}

``psi`` is null while the window holds fewer than ``min_rows`` rows: too few to judge, and a
feature is then never marked drifted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import numpy as np
import orjson

from modelport.inference.drift.bins import ReferenceBins
from modelport.inference.drift.psi import psi

__all__ = ["BinShare", "DriftReport", "DriftWindow", "FeatureDrift", "build_report"]


@dataclass(frozen=True)
class BinShare:
    """One bin: its label and the share of reference and current rows in it."""

    label: str
    reference: float
    current: float

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "reference": round(self.reference, 6), "current": round(self.current, 6)}


@dataclass(frozen=True)
class FeatureDrift:
    """One feature's PSI over the window; ``drifted`` when it reaches the threshold."""

    name: str
    kind: Literal["numeric", "categorical"]
    psi: float | None
    drifted: bool
    rows: int
    bins: tuple[BinShare, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "psi": None if self.psi is None else round(self.psi, 6),
            "drifted": self.drifted,
            "rows": self.rows,
            "bins": [b.to_dict() for b in self.bins],
        }


@dataclass(frozen=True)
class DriftWindow:
    """The sliding window the counts cover: ``seconds`` back from ``end``; rows sampled in it."""

    seconds: float
    start: datetime
    end: datetime
    rows: int
    reference_rows: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "seconds": self.seconds,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "rows": self.rows,
            "reference_rows": self.reference_rows,
        }


@dataclass(frozen=True)
class DriftReport:
    """Feature drift of one deployment's version (``features`` in signature order)."""

    deployment: str
    model: str
    version: str
    threshold: float
    min_rows: int
    window: DriftWindow
    features: tuple[FeatureDrift, ...]

    @property
    def enough_data(self) -> bool:
        return self.window.rows >= self.min_rows

    @property
    def drifted(self) -> list[str]:
        """Names of the drifted features."""
        return [f.name for f in self.features if f.drifted]

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values (the route's and ``--json``'s shape, see the module docstring)."""
        return {
            "deployment": self.deployment,
            "model": self.model,
            "version": self.version,
            "threshold": self.threshold,
            "min_rows": self.min_rows,
            "enough_data": self.enough_data,
            "drifted": self.drifted,
            "window": self.window.to_dict(),
            "features": [f.to_dict() for f in self.features],
        }

    def to_json(self) -> str:
        return orjson.dumps(self.to_dict()).decode()


def build_report(
    reference: ReferenceBins,
    counts: Mapping[str, np.ndarray],
    *,
    deployment: str,
    model: str,
    version: str,
    window: DriftWindow,
    threshold: float,
    min_rows: int,
) -> DriftReport:
    """Compare ``counts`` (current rows per bin, by feature) with ``reference``."""
    features = []
    for bins in reference.features:
        ref = reference.reference[bins.name]
        cur = counts.get(bins.name)
        if cur is None or len(cur) != len(ref):
            cur = np.zeros(len(ref), dtype=np.int64)
        rows = int(cur.sum())
        value = psi(ref, cur) if rows >= min_rows and rows > 0 and ref.sum() > 0 else None
        ref_total, cur_total = max(int(ref.sum()), 1), max(rows, 1)
        shares = tuple(
            BinShare(label, float(r) / ref_total, float(c) / cur_total)
            for label, r, c in zip(bins.labels, ref.tolist(), cur.tolist(), strict=True)
        )
        drifted = value is not None and value >= threshold
        features.append(FeatureDrift(bins.name, bins.kind, value, drifted, rows, shares))
    return DriftReport(deployment, model, version, threshold, min_rows, window, tuple(features))
