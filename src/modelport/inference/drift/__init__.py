"""Feature drift: served inputs against the reference sample of the version that served them.

``ReferenceBins`` fixes each feature's bins from a version's registration sample; ``DriftMonitor``
samples served inputs on the hot path, counts them off it and merges the counts of every worker and
replica through ``DriftCounts`` (the state store, or memory); ``DriftReport`` is the PSI per feature
over the sliding window, as ``GET /deployments/{name}/drift``, ``modelport drift`` and the dashboard
show it.
"""

from modelport.inference.drift.bins import FeatureBins, ReferenceBins
from modelport.inference.drift.counts import BucketCounts, CountKey, DriftCounts, MemoryDriftCounts, WindowCounts
from modelport.inference.drift.monitor import DriftMonitor, read_report
from modelport.inference.drift.psi import psi
from modelport.inference.drift.reference import reference_bins, reference_from_dir
from modelport.inference.drift.report import BinShare, DriftReport, DriftWindow, FeatureDrift, build_report

__all__ = [
    "BinShare",
    "BucketCounts",
    "CountKey",
    "DriftCounts",
    "DriftMonitor",
    "DriftReport",
    "DriftWindow",
    "FeatureBins",
    "FeatureDrift",
    "MemoryDriftCounts",
    "ReferenceBins",
    "WindowCounts",
    "build_report",
    "psi",
    "read_report",
    "reference_bins",
    "reference_from_dir",
]
