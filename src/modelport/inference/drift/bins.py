"""Bins fixed from a version's reference sample, and counting served inputs into them.

Each feature gets its bins once, from the sample kept with the version at registration:

- numbers: quantile bins (``n_bins`` equal shares of the reference; repeated edges of a discrete
  feature collapse), so every bin holds a fair share of the reference and PSI is not dominated by a
  bin the reference barely uses;
- strings and booleans: one bin per category of the reference (the ``max_categories`` most frequent),
  plus ``other`` for anything else;
- every feature: a last bin, ``missing``, for nulls and non-finite numbers.

The bins depend only on the sample, so every worker and replica computes the same bins for a
version and their counts can be summed.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    from modelport.runtime import Features

__all__ = ["FeatureBins", "ReferenceBins"]

_REAL_OR_INT = frozenset({"double", "float", "long", "integer"})
MISSING_LABEL = "missing"
OTHER_LABEL = "other"


@dataclass(frozen=True)
class FeatureBins:
    """The bins of one feature: ``edges`` for numbers, ``categories`` for strings and booleans."""

    name: str
    kind: Literal["numeric", "categorical"]
    edges: tuple[float, ...] = ()
    categories: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        """Number of bins, the missing bin (and ``other`` for categories) included."""
        if self.kind == "numeric":
            return len(self.edges) + 2
        return len(self.categories) + 2

    @property
    def labels(self) -> tuple[str, ...]:
        """A readable name per bin, in bin order."""
        if self.kind == "categorical":
            return (*self.categories, OTHER_LABEL, MISSING_LABEL)
        if not self.edges:
            return ("all", MISSING_LABEL)
        e = [f"{x:.6g}" for x in self.edges]
        inner = [f"[{lo}, {hi})" for lo, hi in itertools.pairwise(e)]
        return (f"< {e[0]}", *inner, f">= {e[-1]}", MISSING_LABEL)

    def count(self, values: np.ndarray) -> np.ndarray:
        """How many of ``values`` fall in each bin (int64, length ``size``)."""
        if self.kind == "categorical":
            index = {c: i for i, c in enumerate(self.categories)}
            other, missing = len(self.categories), len(self.categories) + 1
            codes = [missing if _is_missing(v) else index.get(_category(v), other) for v in values.tolist()]
            return np.bincount(np.asarray(codes, dtype=np.int64), minlength=self.size)
        numbers = np.asarray(values, dtype=np.float64)
        finite = np.isfinite(numbers)
        bins = np.searchsorted(np.asarray(self.edges, dtype=np.float64), numbers[finite], side="right")
        out = np.bincount(bins, minlength=self.size)
        out[-1] = numbers.size - int(finite.sum())
        return out.astype(np.int64)

    @classmethod
    def fixed_from(cls, name: str, values: np.ndarray, *, n_bins: int, max_categories: int) -> FeatureBins:
        """Bins for one reference column (a numpy array as ``Features.columns`` holds it)."""
        if values.dtype.kind in "fiu":
            numbers = values.astype(np.float64, copy=False)
            finite = numbers[np.isfinite(numbers)]
            if finite.size == 0:
                return cls(name, "numeric")
            # Edges are values of the reference ("lower"), so a discrete feature keeps a bin per value.
            quantiles = np.quantile(finite, np.linspace(0.0, 1.0, n_bins + 1)[1:-1], method="lower")
            # The minimum is not an edge: values equal to it fall in the first bin, not "below".
            edges = np.unique(quantiles[quantiles > finite.min()])
            return cls(name, "numeric", edges=tuple(float(x) for x in edges))
        seen = Counter(_category(v) for v in values.tolist() if not _is_missing(v))
        ranked = sorted(seen.items(), key=lambda kv: (-kv[1], kv[0]))[:max_categories]
        return cls(name, "categorical", categories=tuple(sorted(c for c, _ in ranked)))


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _category(value: object) -> str:
    return str(value)


@dataclass(frozen=True)
class ReferenceBins:
    """Every feature's bins for one model version, and the reference sample's counts in them."""

    features: tuple[FeatureBins, ...]
    reference: dict[str, np.ndarray]
    rows: int

    @classmethod
    def from_features(cls, sample: Features, *, n_bins: int = 10, max_categories: int = 20) -> ReferenceBins:
        """Fix the bins from ``sample`` (the version's registration sample) and count it into them."""
        columns = sample.columns
        bins = tuple(
            FeatureBins.fixed_from(name, values, n_bins=n_bins, max_categories=max_categories)
            for name, values in columns.items()
        )
        reference = {b.name: b.count(columns[b.name]) for b in bins}
        return cls(bins, reference, sample.n_rows)

    def count(self, features: Features) -> dict[str, np.ndarray]:
        """Counts of ``features`` per bin of every feature (columns the reference lacks are skipped)."""
        columns = features.columns
        return {b.name: b.count(columns[b.name]) for b in self.features if b.name in columns}

    def count_all(self, parts: Sequence[Features]) -> tuple[int, dict[str, np.ndarray]]:
        """Rows and counts of many requests of one schema at once.

        Numeric schemas go through one stacked matrix (the rows' own, which the request path usually
        built already): a thousand single-row requests cost one concatenation, not one per column.
        """
        if not parts:
            return 0, self.empty()
        schema = parts[0].schema
        numeric = all(b.kind == "numeric" for b in self.features) and all(
            c.dtype in _REAL_OR_INT for c in schema.columns
        )
        if not numeric or any(p.schema is not schema for p in parts):
            from modelport.runtime import Features

            merged = Features.concat(parts)
            return merged.n_rows, self.count(merged)
        matrix = np.concatenate([p.matrix for p in parts]) if len(parts) > 1 else parts[0].matrix
        index = {name: j for j, name in enumerate(schema.names)}
        counts = {b.name: b.count(matrix[:, index[b.name]]) for b in self.features if b.name in index}
        return int(matrix.shape[0]), counts

    def empty(self) -> dict[str, np.ndarray]:
        return {b.name: np.zeros(b.size, dtype=np.int64) for b in self.features}
