"""Moving an alias in MLflow and recording the move in modelport's history, as one undoable step.

MLflow keeps no record of alias moves, so every promote and rollback is written to the state
store's append-only history inside the same lock (``StateStore.locked``) that serializes the MLflow
change. Promoting ``production`` or ``staging`` also moves the MLflow stage of that name, so code
that still loads ``models:/NAME/Production`` keeps getting what modelport promoted.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

from modelport.registry.connection import MlflowConnection, mlflow_errors
from modelport.state import StateTransaction
from modelport.types import HistoryAction, HistoryEntry

__all__ = ["AliasMoves"]

log = logging.getLogger(__name__)
_STAGES = {"production": "Production", "staging": "Staging"}


def transition_stage(client: Any, name: str, version: int, stage: str) -> None:
    """Move the deprecated MLflow stage ``stage`` to ``version`` (the one place that calls MLflow for it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # stages are deprecated in MLflow; we keep them for old URIs
        # NB: an int, not a str: MLflow's archiving query compares the integer column with the
        # argument as given, which PostgreSQL refuses for a string.
        client.transition_model_version_stage(name, version, stage, archive_existing_versions=True)


class AliasMoves:
    """Alias moves in MLflow, each recorded in the history with who made it; undone if recording fails."""

    def __init__(self, connection: MlflowConnection) -> None:
        self._mlflow = connection

    def current(self, name: str, alias: str) -> int | None:
        from mlflow.exceptions import MlflowException

        try:
            return int(self._mlflow.client.get_model_version_by_alias(name, alias).version)
        except MlflowException:
            return None

    def move(self, name: str, alias: str, version: int) -> None:
        client = self._mlflow.client
        client.set_registered_model_alias(name, alias, str(version))
        stage = _STAGES.get(alias)
        if stage is not None:
            transition_stage(client, name, version, stage)

    def move_and_record(
        self,
        tx: StateTransaction,
        name: str,
        alias: str,
        version: int,
        *,
        action: HistoryAction,
        actor: str,
        reason: str | None,
        undoes: int | None = None,
    ) -> HistoryEntry:
        """Move the MLflow alias, then record it; if recording fails, put the alias back."""
        current = self.current(name, alias)
        with mlflow_errors(f"moving {name}@{alias} to version {version}"):
            self.move(name, alias, version)
        try:
            tx.set_alias(name, alias, version)
            entry = tx.append_history(
                model=name,
                action=action,
                actor=actor,
                alias=alias,
                from_version=current,
                to_version=version,
                reason=reason,
                undoes=undoes,
            )
            tx.bump_revision()
        except BaseException:
            # NB: the MLflow alias already moved and the history write failed: put the alias back so
            # MLflow never points where modelport's records (and so every follower) say it does not.
            self.restore(name, alias, current)
            raise
        return entry

    def restore(self, name: str, alias: str, version: int | None) -> None:
        try:
            if version is None:
                self._mlflow.client.delete_registered_model_alias(name, alias)
            else:
                self.move(name, alias, version)
        except Exception:
            log.exception("could not restore %s@%s after a failed change", name, alias)
