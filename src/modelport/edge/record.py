"""Exports are recorded: an ``export`` entry in the model's history traces a device's bundle to a version."""

from __future__ import annotations

from modelport.edge.bundle import ExportResult
from modelport.state import StateStore
from modelport.types import HistoryEntry

__all__ = ["record_export"]


def record_export(store: StateStore, result: ExportResult, *, actor: str) -> HistoryEntry:
    """Append who exported which version, in which form, and the sha256 of the model file."""
    manifest = result.manifest
    reason = f"edge bundle {manifest.model_file} ({manifest.quantization.value}) sha256:{result.model_sha256}"
    with store.locked(f"model:{manifest.name}") as tx:
        return tx.append_history(
            model=manifest.name,
            action="export",
            actor=actor,
            alias=manifest.alias,
            to_version=manifest.version,
            reason=reason,
        )
