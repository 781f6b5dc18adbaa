"""Adding a validated model as the next version of a registered model, undone if any step fails."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from modelport.registry.connection import MlflowConnection, mlflow_errors
from modelport.registry.sources import prepare_source
from modelport.state import StateStore

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Registration"]

log = logging.getLogger(__name__)
_EXPERIMENT = "modelport-registrations"


class Registration:
    """Validates a source, logs it as an MLflow run, creates the version and records who did it."""

    def __init__(self, connection: MlflowConnection, store: StateStore, artifact_root: str) -> None:
        self._mlflow = connection
        self._store = store
        self._artifact_root = artifact_root

    def register(
        self,
        source: str,
        name: str,
        *,
        actor: str,
        sample: pd.DataFrame | None,
        description: str | None,
        tags: Mapping[str, str] | None,
        artifact_uri: str | None,
    ) -> int:
        """The new version's number; the registered model and run are removed again if a step fails."""
        with tempfile.TemporaryDirectory(prefix="modelport-register-") as tmp:
            prepared = prepare_source(source, sample, Path(tmp), self._mlflow.uri, artifact_uri=artifact_uri)
            all_tags = {**(tags or {}), "modelport.flavor": prepared.flavor, "modelport.source": source}
            if prepared.predicts_probabilities is not None:
                all_tags["modelport.predicts_probabilities"] = str(prepared.predicts_probabilities).lower()
            client = self._mlflow.client
            with self._store.locked(f"model:{name}") as tx:
                created_model = False
                run_id: str | None = None
                try:
                    with mlflow_errors(f"registering {name}"):
                        if not client.search_registered_models(f"name='{name}'"):
                            client.create_registered_model(name)
                            created_model = True
                        run_id = self._log_artifacts(prepared.path)
                        mv = client.create_model_version(
                            name,
                            source=f"{client.get_run(run_id).info.artifact_uri}/model",
                            run_id=run_id,
                            tags=all_tags,
                            description=description,
                        )
                    version = int(mv.version)
                    tx.append_history(
                        model=name, action="register", actor=actor, to_version=version, reason=description
                    )
                except BaseException:
                    self._undo(name, created_model, run_id)
                    raise
        return version

    def _log_artifacts(self, model_dir: Path) -> str:
        client = self._mlflow.client
        experiment = client.get_experiment_by_name(_EXPERIMENT)
        if experiment is None:
            location = f"{self._artifact_root}/{_EXPERIMENT}"
            experiment_id = client.create_experiment(_EXPERIMENT, artifact_location=location)
        else:
            experiment_id = experiment.experiment_id
        run = client.create_run(experiment_id, run_name="register")
        client.log_artifacts(run.info.run_id, str(model_dir), "model")
        client.set_terminated(run.info.run_id)
        return str(run.info.run_id)

    def _undo(self, name: str, created_model: bool, run_id: str | None) -> None:
        try:
            if created_model:
                self._mlflow.client.delete_registered_model(name)
            if run_id is not None:
                self._mlflow.client.delete_run(run_id)
        except Exception:  # best effort: the original error is what the user must see
            log.exception("could not clean up after a failed registration of %s", name)
