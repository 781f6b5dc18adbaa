"""``model_loader(settings, store)``: the one way a process builds its loader of model versions.

Serving, batch and Spark all load versions through it, so they share one compiled store (the state
store when there is one, then the disk cache under ``settings.cache_dir / "compiled"``) and honour
``runtime.prefer`` alike.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from modelport.runtime.compiled import CompiledStore, DiskCompiledStore, SharedCompiledStore, TieredCompiledStore
from modelport.runtime.loader import LoadedModel, load_model

if TYPE_CHECKING:
    from modelport.settings import Settings
    from modelport.state import StateStore

__all__ = ["VersionLoader", "compiled_store", "model_loader"]


@dataclass(frozen=True)
class VersionLoader:
    """A model directory in, a :class:`LoadedModel` out (blocking; call it off the event loop)."""

    store: CompiledStore | None
    prefer: tuple[str, ...] = ("onnx", "native", "pyfunc")
    intra_op_threads: int = 1

    def __call__(self, model_dir: Path, *, model: str = "", version: str = "") -> LoadedModel:
        """Load ``model_dir``; ``model``/``version`` label a compiled form this call stores."""
        return load_model(
            model_dir,
            store=self.store,
            prefer=self.prefer,
            intra_op_threads=self.intra_op_threads,
            model=model,
            version=version,
        )

    def local(self) -> VersionLoader:
        """This loader with the disk cache only: picklable and needing no database (Spark tasks)."""
        if isinstance(self.store, TieredCompiledStore):
            return replace(self, store=self.store.local)
        return self


def compiled_store(settings: Settings, store: StateStore | None) -> CompiledStore:
    """The disk cache of this machine, in front of the state store's shared table when there is one."""
    disk = DiskCompiledStore(settings.cache_dir / "compiled")
    return disk if store is None else TieredCompiledStore(disk, SharedCompiledStore(store.compiled))


def model_loader(
    settings: Settings, store: StateStore | None = None, *, intra_op_threads: int | None = None
) -> VersionLoader:
    """The loader for ``settings``: predictor preference and threads from ``settings.runtime``.

    ``store`` shares compiled versions with every other process using it; without one (a batch run of a
    local model folder) the disk cache alone serves. ``intra_op_threads`` overrides the setting (batch
    engines parallelise with workers and use 1).
    """
    runtime = settings.runtime
    threads = runtime.intra_op_threads if intra_op_threads is None else intra_op_threads
    return VersionLoader(compiled_store(settings, store), tuple(runtime.prefer), threads)
