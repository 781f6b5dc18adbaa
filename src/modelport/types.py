"""Value objects shared by every layer: plain frozen dataclasses, no behaviour beyond formatting.

Where a value object lives (one rule): here, when the registry and the state store both speak it
(``HistoryEntry``: written by the state store, returned by the registry) or when a layer must read it
without loading either store (``ColumnSpec``, ``ModelVersionRef`` for ``runtime/``); otherwise in the
package that produces it — the state store's rows in ``modelport.state.records``, policies in
``modelport.deployments``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

__all__ = [
    "SAMPLE_FILENAME",
    "ColumnSpec",
    "HistoryAction",
    "HistoryEntry",
    "ModelSummary",
    "ModelVersionInfo",
    "ModelVersionRef",
]

# The rows kept with every registered version (parity checks, warm-up), beside its MLmodel file.
SAMPLE_FILENAME = "modelport_sample.parquet"

HistoryAction = Literal["register", "promote", "rollback", "delete"]


@dataclass(frozen=True, slots=True)
class ModelVersionRef:
    """One version of one registered model, and the alias it was reached through, if any."""

    name: str
    version: int
    alias: str | None = None

    def __str__(self) -> str:
        return f"{self.name}@{self.alias} (v{self.version})" if self.alias else f"{self.name}/{self.version}"


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One signature column: ``dtype`` is an MLflow type (double/float/long/integer/boolean/string, …)."""

    name: str
    dtype: str
    required: bool = True


@dataclass(frozen=True, slots=True)
class ModelVersionInfo:
    name: str
    version: int
    aliases: tuple[str, ...]
    created: datetime
    inputs: tuple[ColumnSpec, ...]
    outputs: tuple[ColumnSpec, ...]
    tags: dict[str, str] = field(default_factory=dict)
    description: str = ""
    flavor: str = ""
    source: str = ""
    predicts_probabilities: bool | None = None

    @property
    def signature_summary(self) -> str:
        cols = ", ".join(f"{c.name}:{c.dtype}" for c in self.inputs[:4])
        more = f", +{len(self.inputs) - 4}" if len(self.inputs) > 4 else ""
        return f"{len(self.inputs)} inputs ({cols}{more})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "aliases": list(self.aliases),
            "created": self.created.isoformat(),
            "inputs": [{"name": c.name, "type": c.dtype, "required": c.required} for c in self.inputs],
            "outputs": [{"name": c.name, "type": c.dtype} for c in self.outputs],
            "tags": dict(self.tags),
            "description": self.description,
            "flavor": self.flavor,
            "source": self.source,
            "predicts_probabilities": self.predicts_probabilities,
        }


@dataclass(frozen=True, slots=True)
class ModelSummary:
    name: str
    latest_version: int | None
    aliases: dict[str, int]
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "latest_version": self.latest_version,
            "aliases": dict(self.aliases),
            "description": self.description,
        }


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One line of a model's append-only audit log."""

    id: int
    time: datetime
    model: str
    action: HistoryAction
    actor: str
    alias: str | None
    from_version: int | None
    to_version: int | None
    reason: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "time": self.time.isoformat(),
            "model": self.model,
            "action": self.action,
            "actor": self.actor,
            "alias": self.alias,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "reason": self.reason,
        }
