"""``parity.json`` and ``parity.md``: how the bundle's model compares with the original, in figures.

Differences are computed with the runner's own :func:`~modelport.edge.runner.compare` (one rule for
the export, ``predict.py --self-test`` and ``edge verify``); latency is measured on this machine, the
original model in-process against the bundle's graph in onnxruntime, one thread each.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from modelport.edge.manifest import Tolerances
from modelport.edge.runner import Comparison, compare
from modelport.runtime import Features, PredictionResult

__all__ = ["ParityFigures", "measure_latency"]

_REPEATS = {1: 200, 256: 20}
_BUDGET_S = 0.5
"""Per figure: a slow original model (or a busy machine) gets fewer repeats, never a slow export."""
_MIN_REPEATS = 5


def measure_latency(predict: Callable[[Features], Any], sample: Features) -> dict[str, dict[str, float]]:
    """p50/p99 milliseconds of ``predict`` at batch 1 and batch 256 (the sample repeated if it is shorter)."""
    wide = Features.concat([sample] * -(-256 // sample.n_rows)).slice(0, 256)
    figures = {}
    for batch, repeats in _REPEATS.items():
        rows = wide.slice(0, batch)
        predict(rows)  # first call pays one-time setup
        times: list[float] = []
        deadline = time.perf_counter() + _BUDGET_S
        while len(times) < repeats and (len(times) < _MIN_REPEATS or time.perf_counter() < deadline):
            start = time.perf_counter()
            predict(rows)
            times.append((time.perf_counter() - start) * 1000)
        figures[f"batch_{batch}"] = {
            "p50_ms": round(float(np.percentile(times, 50)), 4),
            "p99_ms": round(float(np.percentile(times, 99)), 4),
        }
    return figures


@dataclass(frozen=True)
class ParityFigures:
    """The bundle against the original model on the version's sample, and the verdict."""

    comparison: Comparison
    tolerances: Tolerances
    latency: dict[str, dict[str, dict[str, float]]]
    """``{"original"|"bundle": {"batch_1"|"batch_256": {"p50_ms", "p99_ms"}}}``."""
    sizes: dict[str, int]
    """Bytes of ``original`` (the registered model files), ``onnx_fp32`` and ``bundle_model``."""
    quantization: str

    @classmethod
    def measure(
        cls,
        reference: PredictionResult,
        candidate: PredictionResult,
        *,
        tolerances: Tolerances,
        classifier: bool,
        latency: dict[str, dict[str, dict[str, float]]],
        sizes: dict[str, int],
        quantization: str,
    ) -> ParityFigures:
        comparison = compare(
            reference.predictions,
            None if reference.probabilities is None else reference.probabilities.astype(np.float64),
            candidate.predictions,
            None if candidate.probabilities is None else candidate.probabilities.astype(np.float64),
            tolerances=tolerances.to_dict(),
            classifier=classifier,
        )
        return cls(comparison, tolerances, latency, sizes, quantization)

    @property
    def passed(self) -> bool:
        return self.comparison.passed

    def to_dict(self) -> dict[str, Any]:
        figures = dict(self.comparison.figures)
        return {
            "rows": self.comparison.rows,
            "quantization": self.quantization,
            "label_agreement": figures.pop("label_agreement", None),
            "outputs": figures,
            "latency_ms": self.latency,
            "sizes_bytes": self.sizes,
            "tolerances": self.tolerances.to_dict(),
            "passed": self.passed,
            "failures": list(self.comparison.failures),
        }

    def summary(self) -> str:
        """One line: the figures a refusal or a success message quotes."""
        parts = [f"{self.comparison.rows} rows"]
        agreement = self.comparison.figures.get("label_agreement")
        if agreement is not None:
            parts.append(f"label agreement {agreement:.4f}")
        for output, spread in self.comparison.figures.items():
            if isinstance(spread, dict):
                parts.append(f"{output} max |diff| {spread['max_abs_diff']:.2e}")
        parts.append(f"model {self.sizes['bundle_model']:,} bytes")
        return ", ".join(parts)

    def to_markdown(self, title: str) -> str:
        data = self.to_dict()
        verdict = "passed" if self.passed else "FAILED"
        lines = [f"# Parity of {title}", ""]
        lines.append(f"**{verdict}** on {data['rows']} sample rows (quantization: {self.quantization}).")
        lines += ["", "| figure | value | tolerance |", "|---|---|---|"]
        tol = self.tolerances
        if data["label_agreement"] is not None:
            lines.append(f"| label agreement | {data['label_agreement']:.4f} | ≥ {tol.min_label_agreement} |")
        for output, spread in data["outputs"].items():
            regression = "max_rel_diff" in spread  # regressors are judged on the relative difference only
            limits = ("-", "-") if regression else (_limit(tol.max_abs_diff), _limit(tol.max_mean_abs_diff))
            lines.append(f"| {output}: max abs diff | {spread['max_abs_diff']:.3e} | {limits[0]} |")
            lines.append(f"| {output}: mean abs diff | {spread['mean_abs_diff']:.3e} | {limits[1]} |")
            if regression:
                lines.append(f"| {output}: max rel diff | {spread['max_rel_diff']:.3e} | ≤ {tol.max_rel_diff} |")
        lines += [
            "",
            "| latency (ms) | batch 1 p50 | batch 1 p99 | batch 256 p50 | batch 256 p99 |",
            "|---|---|---|---|---|",
        ]
        for who, figures in self.latency.items():
            one, wide = figures["batch_1"], figures["batch_256"]
            lines.append(f"| {who} | {one['p50_ms']} | {one['p99_ms']} | {wide['p50_ms']} | {wide['p99_ms']} |")
        lines += ["", "| file | bytes |", "|---|---|"]
        lines += [f"| {name} | {size:,} |" for name, size in self.sizes.items()]
        if self.comparison.failures:
            lines += ["", "Failures:", *(f"- {failure}" for failure in self.comparison.failures)]
        return "\n".join(lines) + "\n"


def _limit(value: float | None) -> str:
    return "-" if value is None else f"≤ {value}"
