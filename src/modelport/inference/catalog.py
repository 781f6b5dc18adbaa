"""Where the data plane learns what to serve: deployments, their aliases, and model files.

The serving core never talks to the registry or the state store directly; it asks a ``Catalog``.
``RegistryCatalog`` is the production one (MLflow registry + modelport state store, shared by
every replica); ``MemoryCatalog`` serves model directories held in memory, for embedding a server
in another program or a test without a registry.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from modelport.errors import AliasNotFound, DeploymentNotFound, ModelNotFound, VersionNotFound

if TYPE_CHECKING:
    from modelport.registry import Registry
    from modelport.state import StateStore

__all__ = ["Catalog", "DeploymentSpec", "MemoryCatalog", "RegistryCatalog"]


@dataclass(frozen=True)
class DeploymentSpec:
    """A deployment as the data plane needs it: a name following ``model@alias``."""

    name: str
    model: str
    alias: str


class Catalog(Protocol):
    """What a server reads from the control plane. Calls block; the core runs them in a thread."""

    def revision(self) -> int:
        """A counter that moves whenever an alias or a deployment changes (cheap to poll)."""
        ...

    def deployments(self) -> Sequence[DeploymentSpec]: ...

    def resolve(self, model: str, alias: str) -> str:
        """The version ``model@alias`` points at now."""
        ...

    def model_dir(self, model: str, version: str) -> Path:
        """A local MLflow model directory of that version (raises ``VersionNotFound``)."""
        ...


class RegistryCatalog:
    """The control plane of a real installation: the MLflow registry and the modelport state store.

    modelport's own records answer first, so a fresh replica serves without importing MLflow: an
    alias as modelport last moved it (MLflow is asked when there is no record, and again once
    ``verify_aliases_s`` has passed, to catch moves made straight in MLflow), and a version linked to a
    compiled form that passed parity, written as a served-form folder under ``served_forms`` (None:
    always the registry's model files, e.g. when ONNX is not preferred).
    """

    def __init__(
        self,
        registry: Registry,
        store: StateStore,
        *,
        served_forms: Path | None = None,
        verify_aliases_s: float = 30.0,
    ) -> None:
        self._registry = registry
        self._store = store
        self._served_forms = served_forms
        self._verify_aliases_s = verify_aliases_s
        self._trusted_since = time.monotonic()
        self._verified: dict[tuple[str, str], float] = {}

    def revision(self) -> int:
        return self._store.revision()

    def deployments(self) -> list[DeploymentSpec]:
        return [DeploymentSpec(d.name, d.model, d.alias) for d in self._store.list_deployments()]

    def resolve(self, model: str, alias: str) -> str:
        recorded = self._store.aliases(model).get(alias)
        verified = self._verified.get((model, alias), self._trusted_since)
        if recorded is not None and time.monotonic() - verified < self._verify_aliases_s:
            return str(recorded)
        version = str(self._registry.resolve(f"{model}@{alias}").version)
        self._verified[(model, alias)] = time.monotonic()
        return version

    def model_dir(self, model: str, version: str) -> Path:
        if not version.isdigit():
            raise VersionNotFound(f"model {model!r} has no version {version!r} (versions are numbers)")
        if self._served_forms is not None:
            served = self._registry.served_form_dir(model, int(version), self._served_forms)
            if served is not None:
                return served
        return Path(self._registry.local_model_dir(model, int(version)))


class MemoryCatalog:
    """Deployments over model directories kept in memory; ``point`` moves an alias like a promote."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._revision = 0
        self._versions: dict[str, dict[str, Path]] = {}
        self._aliases: dict[tuple[str, str], str] = {}
        self._deployments: dict[str, DeploymentSpec] = {}

    def add_version(self, model: str, version: str, model_dir: Path) -> None:
        with self._lock:
            self._versions.setdefault(model, {})[version] = Path(model_dir)

    def point(self, model: str, alias: str, version: str) -> None:
        """Move ``model@alias`` to ``version`` and bump the revision, as a promote or rollback does."""
        with self._lock:
            if version not in self._versions.get(model, {}):
                raise VersionNotFound(f"model {model!r} has no version {version!r}")
            self._aliases[(model, alias)] = version
            self._revision += 1

    def deploy(self, name: str, model: str, alias: str = "production") -> DeploymentSpec:
        with self._lock:
            spec = DeploymentSpec(name, model, alias)
            self._deployments[name] = spec
            self._revision += 1
            return spec

    def undeploy(self, name: str) -> None:
        with self._lock:
            if self._deployments.pop(name, None) is None:
                raise DeploymentNotFound(f"no deployment named {name!r}")
            self._revision += 1

    def revision(self) -> int:
        with self._lock:
            return self._revision

    def deployments(self) -> list[DeploymentSpec]:
        with self._lock:
            return list(self._deployments.values())

    def resolve(self, model: str, alias: str) -> str:
        with self._lock:
            try:
                return self._aliases[(model, alias)]
            except KeyError:
                raise AliasNotFound(f"model {model!r} has no alias {alias!r}") from None

    def model_dir(self, model: str, version: str) -> Path:
        with self._lock:
            versions: Mapping[str, Path] | None = self._versions.get(model)
            if versions is None:
                raise ModelNotFound(f"no model named {model!r}")
            try:
                return versions[version]
            except KeyError:
                raise VersionNotFound(f"model {model!r} has no version {version!r}") from None
