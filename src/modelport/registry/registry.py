"""The model registry: MLflow holds versions, artifacts and aliases; modelport adds the history.

This module reads; the writes live next to it, one concern each: ``registration.py`` adds a
version, ``aliases.py`` moves an alias and records the move, ``connection.py`` owns the MLflow
client and turns its failures into modelport errors. Every write names its ``actor``: who made the
change is decided by the entry point (CLI, admin API, rollout controller), never here.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelport.errors import AliasNotFound, BackendError, ModelNotFound, VersionInUse, VersionNotFound
from modelport.registry.aliases import AliasMoves
from modelport.registry.connection import MlflowConnection, mlflow_errors
from modelport.registry.names import DEFAULT_ALIAS, normalize_alias, parse_ref, validate_model_name
from modelport.registry.registration import Registration
from modelport.registry.rollback import plan_rollback
from modelport.registry.versions import version_info
from modelport.served_form import write_served_form
from modelport.settings import Settings
from modelport.state import StateStore
from modelport.types import HistoryEntry, ModelSummary, ModelVersionInfo, ModelVersionRef
from modelport.urls import mask_urls_in

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Registry"]


class Registry:
    """Registered models, their versions and aliases, and the audit history of every change."""

    def __init__(self, settings: Settings, store: StateStore) -> None:
        self._settings = settings
        self._store = store
        # Built on first use: importing MLflow and opening its store costs seconds, and a batch run
        # of a version already on disk needs neither (see ``local_version``).
        self._mlflow = MlflowConnection(settings.resolved_registry_uri)
        self._aliases = AliasMoves(self._mlflow)
        # A tracking server stores artifacts itself unless told otherwise: a local default root would
        # leave them on this machine, out of reach of every other replica.
        remote = settings.resolved_registry_uri.startswith(("http://", "https://")) and settings.artifact_root is None
        self._registration = Registration(self._mlflow, store, None if remote else settings.resolved_artifact_root)

    @property
    def _client(self) -> Any:
        return self._mlflow.client

    @classmethod
    def open(cls, settings: Settings, store: StateStore | None = None) -> Registry:
        return cls(settings, store or StateStore.open(settings))

    @property
    def store(self) -> StateStore:
        return self._store

    @property
    def shown_uri(self) -> str:
        """Where the registry is, with any password masked: safe to print, log or write as JSON."""
        return self._mlflow.shown_uri

    def check_reachable(self) -> None:
        """Fail now with ``BackendError`` when the registry cannot be reached (cheap: MLflow not imported)."""
        self._mlflow.check_reachable()

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
            raise BackendError(f"registry error: {mask_urls_in(str(exc.message))}") from exc

    def list_models(self) -> list[ModelSummary]:
        models: list[ModelSummary] = []
        token: str | None = None
        with mlflow_errors("listing models"):
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
        with mlflow_errors(f"listing versions of {name}"):
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

    def local_version(self, ref: str, *, served_forms: Path | None = None) -> tuple[ModelVersionRef, Path]:
        """Resolve ``ref`` and return the version's local model folder.

        When modelport's own records answer (the alias as modelport last moved it, a version it
        registered and never deleted, already downloaded to the cache) MLflow is not touched at all.
        Given ``served_forms``, a version linked to a compiled form that passed parity comes back as a
        served-form folder there (``modelport.served_form``: enough to predict with ONNX, not to
        convert again). Otherwise this is ``resolve`` followed by ``local_model_dir``.
        """
        recorded = self._recorded(ref)
        if recorded is not None:
            on_disk = self._downloaded(recorded)
            if on_disk is not None:
                return recorded, on_disk
            if served_forms is not None:
                served = self.served_form_dir(recorded.name, recorded.version, served_forms)
                if served is not None:
                    return recorded, served
        resolved = self.resolve(ref)
        return resolved, self.local_model_dir(resolved.name, resolved.version)

    def served_form_dir(self, name: str, version: int, root: Path) -> Path | None:
        """The version's served-form folder under ``root``, when the state store links it to a compiled
        form that passed parity (None: load it from the registry). Never imports MLflow."""
        form = self._store.compiled.served_form(name, str(version))
        return None if form is None else write_served_form(form, root)

    def _recorded(self, ref: str) -> ModelVersionRef | None:
        """``ref`` resolved by modelport's records alone (an alias as modelport last moved it)."""
        name, version, alias = parse_ref(ref)
        if version is None:
            assert alias is not None
            version = self._store.aliases(name).get(alias)
            if version is None:
                return None
        return ModelVersionRef(name=name, version=version, alias=alias)

    def _downloaded(self, recorded: ModelVersionRef) -> Path | None:
        """The version's folder already downloaded to this machine's cache, when modelport's history says
        it registered that version and never deleted it."""
        name, version = recorded.name, recorded.version
        history = self._store.history(name)
        registered = any(e.action == "register" and e.to_version == version for e in history)
        deleted = any(e.action == "delete" and e.from_version == version for e in history)
        cached = list((self._settings.cache_dir / "models" / name).glob(f"{version}-*/MLmodel"))
        if not registered or deleted or len(cached) != 1:
            return None
        return cached[0].parent

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
            with mlflow_errors(f"downloading {name}/{version}"):
                artifact_uri = self._client.get_model_version_download_uri(name, str(version))
                downloaded = self._mlflow.guarded(
                    lambda: mlflow.artifacts.download_artifacts(
                        artifact_uri=artifact_uri, dst_path=str(scratch), tracking_uri=self._mlflow.uri
                    )
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
        actor: str,
        sample: pd.DataFrame | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> ModelVersionInfo:
        """Validate ``source`` completely, then add it as the next version of ``name``, recorded as ``actor``'s."""
        validate_model_name(name)
        if sample is not None:
            sample = sample.head(self._settings.sample_rows)
        artifact_uri = None
        if source.startswith("models:/"):
            ref = self.resolve(source)
            artifact_uri = self._client.get_model_version_download_uri(ref.name, str(ref.version))
        version = self._registration.register(
            source, name, actor=actor, sample=sample, description=description, tags=tags, artifact_uri=artifact_uri
        )
        return self.describe(name, version)

    def promote(
        self, name: str, version: int, *, actor: str, alias: str = DEFAULT_ALIAS, reason: str | None = None
    ) -> HistoryEntry:
        """Point ``alias`` at ``version`` and record that ``actor`` did it, and why."""
        alias = normalize_alias(alias)
        self._model_version(name, version)
        with self._store.locked(f"model:{name}") as tx:
            return self._aliases.move_and_record(tx, name, alias, version, action="promote", actor=actor, reason=reason)

    def rollback(self, name: str, *, actor: str, alias: str = DEFAULT_ALIAS, reason: str | None = None) -> HistoryEntry:
        """Return ``alias`` to where the newest not-yet-undone promotion found it."""
        alias = normalize_alias(alias)
        self._require_model(name)
        with self._store.locked(f"model:{name}") as tx:
            plan = plan_rollback(tx.history(name), tx.undone_ids(name), name, alias)
            self._model_version(name, plan.target_version)
            return self._aliases.move_and_record(
                tx,
                name,
                alias,
                plan.target_version,
                action="rollback",
                actor=actor,
                reason=reason,
                undoes=plan.undoes.id,
            )

    def delete(
        self, name: str, version: int, *, actor: str, force: bool = False, reason: str | None = None
    ) -> HistoryEntry:
        """Delete a version; refuse while an alias points at it unless ``force``."""
        mv = self._model_version(name, version)
        aliases = sorted(mv.aliases or [])
        if aliases and not force:
            raise VersionInUse(
                f"{name} version {version} is what alias {', '.join(aliases)} points at; promote another version "
                "first or pass --force"
            )
        with self._store.locked(f"model:{name}") as tx:
            with mlflow_errors(f"deleting {name}/{version}"):
                self._client.delete_model_version(name, str(version))
            for alias in aliases:
                tx.set_alias(name, alias, None)
            tx.unlink_compiled(name, version)
            entry = tx.append_history(
                model=name,
                action="delete",
                actor=actor,
                alias=",".join(aliases) or None,
                from_version=version,
                reason=reason,
            )
            if aliases:
                tx.bump_revision()
        return entry
