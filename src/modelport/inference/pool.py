"""The versions of one deployment held in memory, and the atomic swap between them.

A pool has an *active* version (what the deployment's alias points at), keeps the *previous*
active version loaded so a rollback is instant, and may hold a few versions pinned by requests
(``/v2/models/{name}/versions/{v}``). A swap is one attribute assignment on the event loop: a
request that already picked a version finishes on it, the next one sees the new version.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from modelport.errors import NotReady, VersionNotFound

if TYPE_CHECKING:
    from modelport.inference.catalog import DeploymentSpec
    from modelport.runtime import AdaptiveBatcher, Features, LoadedModel, PredictionResult

__all__ = ["LoadFailure", "ModelPool", "ServedVersion"]


@dataclass(eq=False)
class ServedVersion:
    """One loaded, warmed model version and the batcher in front of it."""

    model_name: str
    version: str
    model: LoadedModel
    batcher: AdaptiveBatcher
    loaded_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    async def predict(self, features: Features) -> PredictionResult:
        return await self.batcher.submit(features)


@dataclass(frozen=True)
class LoadFailure:
    """A version the pool tried to load and could not; the previous version keeps serving."""

    version: str
    message: str
    at: datetime


class ModelPool:
    """Loaded versions of one deployment: active, previous, and up to ``pinned_capacity`` pinned ones."""

    def __init__(self, spec: DeploymentSpec, *, pinned_capacity: int = 2) -> None:
        self.spec = spec
        self.failure: LoadFailure | None = None
        self._active: ServedVersion | None = None
        self._previous: ServedVersion | None = None
        self._pinned: OrderedDict[str, ServedVersion] = OrderedDict()
        self._pinned_capacity = pinned_capacity
        # Versions the deployment's traffic policy routes to (canary, A/B, blue-green, shadow).
        self._policy: dict[str, ServedVersion] = {}

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def active(self) -> ServedVersion | None:
        return self._active

    @property
    def previous(self) -> ServedVersion | None:
        return self._previous

    @property
    def ready(self) -> bool:
        return self._active is not None

    def current(self) -> ServedVersion:
        """The version answering unpinned requests (``NotReady`` until one is loaded)."""
        active = self._active
        if active is None:
            reason = f": {self.failure.message}" if self.failure else ""
            raise NotReady(f"deployment {self.name!r} has no model version loaded yet{reason}")
        return active

    def loaded(self, version: str) -> ServedVersion | None:
        """The loaded ``version`` if the pool holds it (active, previous or pinned)."""
        for served in (self._active, self._previous):
            if served is not None and served.version == version:
                return served
        served = self._pinned.get(version)
        if served is not None:
            self._pinned.move_to_end(version)
            return served
        return self._policy.get(version)

    def versions(self) -> list[tuple[str, ServedVersion]]:
        """Every loaded version with its role: ``active``, ``previous`` or ``pinned``."""
        out = [(role, s) for role, s in (("active", self._active), ("previous", self._previous)) if s]
        out += [("pinned", s) for s in self._pinned.values()]
        listed = {id(s) for _, s in out}
        out += [("policy", s) for s in self._policy.values() if id(s) not in listed]
        return out

    def policy_versions(self) -> dict[str, ServedVersion]:
        """The versions held for the traffic policy (by version)."""
        return dict(self._policy)

    def hold(self, needed: dict[str, ServedVersion]) -> list[ServedVersion]:
        """Hold exactly the versions the traffic policy needs; returns those nothing holds any more."""
        old, self._policy = self._policy, dict(needed)
        kept = {id(s) for _, s in self.versions()}
        return [s for s in old.values() if id(s) not in kept]

    def swap(self, served: ServedVersion) -> list[ServedVersion]:
        """Make ``served`` active; the old active becomes previous. Returns versions no longer held.

        Callers reuse ``loaded(version)`` when the pool already holds the target (a rollback to the
        previous version then costs nothing), so one version is never held twice.
        """
        if served.model_name != self.spec.model:
            raise VersionNotFound(f"{served.model_name} is not the model of deployment {self.name!r}")
        old_active, old_previous = self._active, self._previous
        if old_active is served:
            return []
        if self._pinned.get(served.version) is served:
            del self._pinned[served.version]
        self._active, self._previous = served, old_active
        if old_previous is None or old_previous is served or old_previous in self._policy.values():
            return []
        return [old_previous]

    def pin(self, served: ServedVersion) -> list[ServedVersion]:
        """Hold a version requested explicitly; evicts the least recently used pinned version."""
        existing = self.loaded(served.version)
        if existing is not None:
            return [served] if existing is not served else []
        self._pinned[served.version] = served
        evicted: list[ServedVersion] = []
        while len(self._pinned) > self._pinned_capacity:
            evicted.append(self._pinned.popitem(last=False)[1])
        return [s for s in evicted if s not in self._policy.values()]

    def drain(self) -> list[ServedVersion]:
        """Forget every version (shutdown, or the deployment was removed); returns them for closing."""
        out = [s for _, s in self.versions()]
        self._active = self._previous = None
        self._pinned.clear()
        self._policy.clear()
        return out
