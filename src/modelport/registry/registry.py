"""The model registry: MLflow holds versions, artifacts and aliases; modelport adds the history.

MLflow keeps no record of alias moves, so every promote, rollback, register and delete is written
to the state store's append-only history in the same serialized step that changes MLflow
(``StateStore.locked``), which is what makes racing promotes from many processes consistent.
Promoting ``production`` or ``staging`` also moves the MLflow stage of that name, so code that
still loads ``models:/NAME/Production`` keeps getting what modelport promoted.
"""

from __future__ import annotations

import getpass
import logging
import shutil
import tempfile
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelport.errors import (
    AliasNotFound,
    BackendError,
    ModelNotFound,
    ModelportError,
    VersionInUse,
    VersionNotFound,
)
from modelport.registry.names import DEFAULT_ALIAS, normalize_alias, parse_ref, validate_model_name
from modelport.registry.rollback import plan_rollback
from modelport.registry.sources import prepare_source
from modelport.registry.versions import version_info
from modelport.settings import Settings
from modelport.state import StateStore, StateTransaction
from modelport.types import HistoryAction, HistoryEntry, ModelSummary, ModelVersionInfo, ModelVersionRef

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Registry"]

log = logging.getLogger(__name__)
_EXPERIMENT = "modelport-registrations"
_STAGES = {"production": "Production", "staging": "Staging"}


@contextmanager
def _mlflow_errors(what: str) -> Iterator[None]:
    from mlflow.exceptions import MlflowException

    try:
        yield
    except ModelportError:
        raise
    except MlflowException as exc:
        if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
            raise ModelNotFound(f"{what}: {exc.message}") from exc
        raise BackendError(f"{what}: {exc.message}") from exc


class Registry:
    """Registered models, their versions and aliases, and the audit history of every change."""

    def __init__(self, settings: Settings, store: StateStore) -> None:
        self._settings = settings
        self._store = store
        self._uri = settings.resolved_registry_uri
        self._mlflow_client: Any = None

    @property
    def _client(self) -> Any:
        # Built on first use: importing MLflow and opening its store costs seconds, and a batch run
        # of a version already on disk needs neither (see ``local_version``).
        if self._mlflow_client is None:
            from mlflow import MlflowClient

            if self._uri.startswith("sqlite:///"):
                Path(self._uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            self._mlflow_client = MlflowClient(tracking_uri=self._uri, registry_uri=self._uri)
        return self._mlflow_client

    @classmethod
    def open(cls, settings: Settings, store: StateStore | None = None) -> Registry:
        return cls(settings, store or StateStore.open(settings))

    @property
    def store(self) -> StateStore:
        return self._store

    @property
    def tracking_uri(self) -> str:
        return self._uri

    def _actor(self) -> str:
        if self._settings.actor:
            return self._settings.actor
        try:
            return getpass.getuser()
        except (KeyError, OSError):
            return "unknown"

    # -- reads ---------------------------------------------------------------------------------------

    def _model_version(self, name: str, version: int) -> Any:
        from mlflow.exceptions import MlflowException

        self._require_model(name)
        try:
            return self._client.get_model_version(name, str(version))
        except MlflowException as exc:
            raise VersionNotFound(f"model {name!r} has no version {version}") from exc

    def _require_model(self, name: str) -> Any:
        from mlflow.exceptions import MlflowException

        validate_model_name(name)
        try:
            return self._client.get_registered_model(name)
        except MlflowException as exc:
            if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
                raise ModelNotFound(f"no registered model named {name!r} (see `modelport models`)") from exc
            raise BackendError(f"registry error: {exc.message}") from exc

    def list_models(self) -> list[ModelSummary]:
        models: list[ModelSummary] = []
        token: str | None = None
        with _mlflow_errors("listing models"):
            while True:
                page = self._client.search_registered_models(max_results=200, page_token=token)
                for rm in page:
                    latest = [int(v.version) for v in rm.latest_versions or []]
                    models.append(
                        ModelSummary(
                            name=rm.name,
                            latest_version=max(latest) if latest else None,
                            aliases={a: int(v) for a, v in (rm.aliases or {}).items()},
                            description=rm.description or "",
                        )
                    )
                token = page.token
                if not token:
                    break
        return sorted(models, key=lambda m: m.name)

    def versions(self, name: str) -> list[ModelVersionInfo]:
        self._require_model(name)
        with _mlflow_errors(f"listing versions of {name}"):
            found = self._client.search_model_versions(f"name='{name}'", max_results=10_000)
            # search results carry no aliases; the registered model has them all
            aliases = self._client.get_registered_model(name).aliases or {}
        by_version: dict[int, list[str]] = {}
        for alias, version in aliases.items():
            by_version.setdefault(int(version), []).append(alias)
        infos = (version_info(mv, aliases=by_version.get(int(mv.version), [])) for mv in found)
        return sorted(infos, key=lambda v: v.version)

    def describe(self, name: str, version: int) -> ModelVersionInfo:
        return version_info(self._model_version(name, version))

    def history(self, name: str) -> list[HistoryEntry]:
        validate_model_name(name)
        entries = self._store.history(name)
        if not entries:
            self._require_model(name)
        return entries

    def alias_version(self, name: str, alias: str) -> int:
        from mlflow.exceptions import MlflowException

        alias = normalize_alias(alias)
        self._require_model(name)
        try:
            return int(self._client.get_model_version_by_alias(name, alias).version)
        except MlflowException as exc:
            raise AliasNotFound(f"model {name!r} has no alias {alias!r}") from exc

    def resolve(self, ref: str) -> ModelVersionRef:
        """``NAME``, ``NAME@alias``, ``NAME/3`` (optionally behind ``models:/``) → a concrete version."""
        name, version, alias = parse_ref(ref)
        if version is not None:
            self._model_version(name, version)
            return ModelVersionRef(name=name, version=version)
        assert alias is not None
        return ModelVersionRef(name=name, version=self.alias_version(name, alias), alias=alias)

    def local_version(self, ref: str) -> tuple[ModelVersionRef, Path]:
        """Resolve ``ref`` and return the version's local model folder.

        When modelport's own records answer (the alias as modelport last moved it, a version it
        registered and never deleted, already downloaded to the cache) MLflow is not touched at all;
        otherwise this is ``resolve`` followed by ``local_model_dir``.
        """
        known = self._from_records(ref)
        if known is not None:
            return known
        resolved = self.resolve(ref)
        return resolved, self.local_model_dir(resolved.name, resolved.version)

    def _from_records(self, ref: str) -> tuple[ModelVersionRef, Path] | None:
        name, version, alias = parse_ref(ref)
        if version is None:
            assert alias is not None
            version = self._store.aliases(name).get(alias)
            if version is None:
                return None
        history = self._store.history(name)
        registered = any(e.action == "register" and e.to_version == version for e in history)
        deleted = any(e.action == "delete" and e.from_version == version for e in history)
        cached = list((self._settings.cache_dir / "models" / name).glob(f"{version}-*/MLmodel"))
        if not registered or deleted or len(cached) != 1:
            return None
        return ModelVersionRef(name=name, version=version, alias=alias), cached[0].parent

    def model_uri(self, name: str, version: int) -> str:
        return f"models:/{name}/{version}"

    def local_model_dir(self, name: str, version: int) -> Path:
        """The version's MLflow model folder on local disk (downloaded once, then cached)."""
        import mlflow.artifacts

        mv = self._model_version(name, version)
        key = f"{version}-{mv.run_id or 'norun'}"
        target = self._settings.cache_dir / "models" / name / key
        if (target / "MLmodel").is_file():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".download-", dir=target.parent))
        try:
            with _mlflow_errors(f"downloading {name}/{version}"):
                downloaded = mlflow.artifacts.download_artifacts(
                    artifact_uri=self._client.get_model_version_download_uri(name, str(version)),
                    dst_path=str(scratch),
                    tracking_uri=self._uri,
                )
            try:
                Path(downloaded).rename(target)  # atomic: readers never see half a model
            except OSError:
                if not (target / "MLmodel").is_file():
                    raise
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        return target

    # -- writes --------------------------------------------------------------------------------------

    def register(
        self,
        source: str,
        name: str,
        *,
        sample: pd.DataFrame | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> ModelVersionInfo:
        """Validate ``source`` completely, then add it as the next version of ``name``."""
        validate_model_name(name)
        if sample is not None:
            sample = sample.head(self._settings.sample_rows)
        with tempfile.TemporaryDirectory(prefix="modelport-register-") as tmp:
            artifact_uri = None
            if source.startswith("models:/"):
                ref = self.resolve(source)
                artifact_uri = self._client.get_model_version_download_uri(ref.name, str(ref.version))
            prepared = prepare_source(source, sample, Path(tmp), self._uri, artifact_uri=artifact_uri)
            all_tags = {
                **(tags or {}),
                "modelport.flavor": prepared.flavor,
                "modelport.source": source,
            }
            if prepared.predicts_probabilities is not None:
                all_tags["modelport.predicts_probabilities"] = str(prepared.predicts_probabilities).lower()
            with self._store.locked(f"model:{name}") as tx:
                created_model = False
                run_id: str | None = None
                try:
                    with _mlflow_errors(f"registering {name}"):
                        if not self._client.search_registered_models(f"name='{name}'"):
                            self._client.create_registered_model(name)
                            created_model = True
                        run_id = self._log_artifacts(prepared.path)
                        mv = self._client.create_model_version(
                            name,
                            source=f"{self._client.get_run(run_id).info.artifact_uri}/model",
                            run_id=run_id,
                            tags=all_tags,
                            description=description,
                        )
                    version = int(mv.version)
                    tx.append_history(
                        model=name,
                        action="register",
                        actor=self._actor(),
                        to_version=version,
                        reason=description,
                    )
                except BaseException:
                    self._undo_register(name, created_model, run_id)
                    raise
        return self.describe(name, version)

    def _log_artifacts(self, model_dir: Path) -> str:
        experiment = self._client.get_experiment_by_name(_EXPERIMENT)
        if experiment is None:
            # A tracking server stores artifacts itself (mlflow-artifacts:/) unless told otherwise: a local
            # default root would leave them on this machine, out of reach of every other replica.
            remote = self._uri.startswith(("http://", "https://")) and self._settings.artifact_root is None
            location = None if remote else self._settings.resolved_artifact_root + "/" + _EXPERIMENT
            experiment_id = self._client.create_experiment(_EXPERIMENT, artifact_location=location)
        else:
            experiment_id = experiment.experiment_id
        run = self._client.create_run(experiment_id, run_name="register")
        self._client.log_artifacts(run.info.run_id, str(model_dir), "model")
        self._client.set_terminated(run.info.run_id)
        return str(run.info.run_id)

    def _undo_register(self, name: str, created_model: bool, run_id: str | None) -> None:
        try:
            if created_model:
                self._client.delete_registered_model(name)
            if run_id is not None:
                self._client.delete_run(run_id)
        except Exception:  # best effort: the original error is what the user must see
            log.exception("could not clean up after a failed registration of %s", name)

    def _move_alias(self, name: str, alias: str, version: int) -> None:
        self._client.set_registered_model_alias(name, alias, str(version))
        stage = _STAGES.get(alias)
        if stage is None:
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # stages are deprecated in MLflow; we keep them for old URIs
            # NB: we archive the previous holders ourselves instead of archive_existing_versions=True: MLflow's
            # archiving query compares the integer version column with the version as received, a string
            # over REST, which a tracking server on PostgreSQL refuses ("integer <> character varying").
            for held in self._client.search_model_versions(f"name='{name}'"):
                if held.current_stage == stage and int(held.version) != version:
                    self._client.transition_model_version_stage(
                        name, str(held.version), "Archived", archive_existing_versions=False
                    )
            self._client.transition_model_version_stage(name, str(version), stage, archive_existing_versions=False)

    def _current_alias(self, name: str, alias: str) -> int | None:
        from mlflow.exceptions import MlflowException

        try:
            return int(self._client.get_model_version_by_alias(name, alias).version)
        except MlflowException:
            return None

    def promote(
        self, name: str, version: int, *, alias: str = DEFAULT_ALIAS, reason: str | None = None
    ) -> HistoryEntry:
        """Point ``alias`` at ``version`` and record who did it and why."""
        alias = normalize_alias(alias)
        self._model_version(name, version)
        with self._store.locked(f"model:{name}") as tx:
            entry = self._move_and_record(tx, name, alias, version, action="promote", reason=reason)
        return entry

    def rollback(self, name: str, *, alias: str = DEFAULT_ALIAS, reason: str | None = None) -> HistoryEntry:
        """Return ``alias`` to where the newest not-yet-undone promotion found it."""
        alias = normalize_alias(alias)
        self._require_model(name)
        with self._store.locked(f"model:{name}") as tx:
            plan = plan_rollback(tx.history(name), tx.undone_ids(name), name, alias)
            self._model_version(name, plan.target_version)
            entry = self._move_and_record(
                tx, name, alias, plan.target_version, action="rollback", reason=reason, undoes=plan.undoes.id
            )
        return entry

    def _move_and_record(
        self,
        tx: StateTransaction,
        name: str,
        alias: str,
        version: int,
        *,
        action: HistoryAction,
        reason: str | None,
        undoes: int | None = None,
    ) -> HistoryEntry:
        """Move the MLflow alias, then record it; if recording fails, put the alias back."""
        current = self._current_alias(name, alias)
        with _mlflow_errors(f"moving {name}@{alias} to version {version}"):
            self._move_alias(name, alias, version)
        try:
            tx.set_alias(name, alias, version)
            entry = tx.append_history(
                model=name,
                action=action,
                actor=self._actor(),
                alias=alias,
                from_version=current,
                to_version=version,
                reason=reason,
                undoes=undoes,
            )
            tx.bump_revision()
        except BaseException:
            self._restore_alias(name, alias, current)
            raise
        return entry

    def delete(self, name: str, version: int, *, force: bool = False, reason: str | None = None) -> HistoryEntry:
        """Delete a version; refuse while an alias points at it unless ``force``."""
        mv = self._model_version(name, version)
        aliases = sorted(mv.aliases or [])
        if aliases and not force:
            raise VersionInUse(
                f"{name} version {version} is what alias {', '.join(aliases)} points at; promote another version "
                "first or pass --force"
            )
        with self._store.locked(f"model:{name}") as tx:
            with _mlflow_errors(f"deleting {name}/{version}"):
                self._client.delete_model_version(name, str(version))
            for alias in aliases:
                tx.set_alias(name, alias, None)
            entry = tx.append_history(
                model=name,
                action="delete",
                actor=self._actor(),
                alias=",".join(aliases) or None,
                from_version=version,
                reason=reason,
            )
            if aliases:
                tx.bump_revision()
        return entry

    def _restore_alias(self, name: str, alias: str, version: int | None) -> None:
        try:
            if version is None:
                self._client.delete_registered_model_alias(name, alias)
            else:
                self._move_alias(name, alias, version)
        except Exception:
            log.exception("could not restore %s@%s after a failed change", name, alias)
