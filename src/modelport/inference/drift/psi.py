"""The population stability index of two histograms over the same bins."""

from __future__ import annotations

import numpy as np

__all__ = ["DEFAULT_FLOOR", "psi"]

DEFAULT_FLOOR = 1e-4
"""Share given to an empty bin so its log ratio stays finite (the usual PSI convention)."""


def psi(reference: np.ndarray, current: np.ndarray, *, floor: float = DEFAULT_FLOOR) -> float:
    """``sum((c - r) * ln(c / r))`` over the bins' shares; 0 when identical, ~0.1 moderate, >0.2 a shift.

    Raises ``ValueError`` when the histograms differ in length or one of them is empty.
    """
    ref = np.asarray(reference, dtype=np.float64)
    cur = np.asarray(current, dtype=np.float64)
    if ref.shape != cur.shape:
        raise ValueError(f"histograms over different bins: {ref.shape} vs {cur.shape}")
    if ref.sum() <= 0 or cur.sum() <= 0:
        raise ValueError("PSI needs at least one value in each histogram")
    r = np.maximum(ref / ref.sum(), floor)
    c = np.maximum(cur / cur.sum(), floor)
    return float(np.sum((c - r) * np.log(c / r)))
