"""Traffic policies: frozen, validated values with ``choose(key) -> Variant`` (the canary is in ``canary.py``).

The router applies them, the controller derives the next one (``advanced()``), the k8s renderer
reads them, and tests check them without a server. ``to_json`` / ``policy_from_json`` is the form
kept in the state store's policy revisions.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Literal

from modelport.deployments.keys import KeySource, bucket
from modelport.errors import InvalidRequest

__all__ = [
    "ABPolicy",
    "BlueGreenPolicy",
    "Policy",
    "ShadowPolicy",
    "SinglePolicy",
    "Variant",
    "require",
    "require_version",
]


@dataclass(frozen=True, slots=True)
class Variant:
    """A named share of traffic served by one version (``None``: whatever the deployment's alias points at)."""

    name: str
    version: int | None
    weight: float = 100.0

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "weight": self.weight}


def require(condition: bool, message: str) -> None:
    if not condition:
        raise InvalidRequest(message)


def require_version(value: int, what: str) -> None:
    require(isinstance(value, int) and value >= 1, f"{what} must be a version number >= 1, got {value!r}")


class Policy(ABC):
    """Base of every policy. Subclasses are frozen dataclasses."""

    kind: ClassVar[str]

    @property
    @abstractmethod
    def variants(self) -> tuple[Variant, ...]:
        """Every variant whose version must be loaded (including a shadow or a warm standby)."""

    @abstractmethod
    def choose(self, key: str) -> Variant:
        """The variant that answers a request with this sticky key (or request id)."""

    def mirror(self, key: str) -> Variant | None:
        """The variant that also receives a copy of this request, off the request path."""
        del key
        return None

    @property
    def key_source(self) -> KeySource:
        return KeySource()

    @abstractmethod
    def to_json(self) -> dict[str, Any]:
        """The policy as stored in a revision (``policy_from_json`` reads it back)."""

    def describe(self) -> str:
        return ", ".join(f"{v.name}=v{v.version} {v.weight:g}%" for v in self.variants if v.version is not None)


@dataclass(frozen=True, slots=True)
class SinglePolicy(Policy):
    """Everything to the version the deployment's alias points at (the default)."""

    kind: ClassVar[str] = "single"

    @property
    def variants(self) -> tuple[Variant, ...]:
        return (Variant("primary", None),)

    def choose(self, key: str) -> Variant:
        return self.variants[0]

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind}

    def describe(self) -> str:
        return "single: the alias"


@dataclass(frozen=True, slots=True)
class BlueGreenPolicy(Policy):
    """Two versions loaded, all traffic on ``live``; ``switched()`` flips in one revision."""

    kind: ClassVar[str] = "blue-green"
    blue: int
    green: int
    live: Literal["blue", "green"] = "green"

    def __post_init__(self) -> None:
        require_version(self.blue, "blue")
        require_version(self.green, "green")
        require(self.blue != self.green, "blue and green must be different versions")
        require(self.live in ("blue", "green"), f"live must be blue or green, got {self.live!r}")

    @property
    def variants(self) -> tuple[Variant, ...]:
        return (
            Variant("blue", self.blue, 100.0 if self.live == "blue" else 0.0),
            Variant("green", self.green, 100.0 if self.live == "green" else 0.0),
        )

    def choose(self, key: str) -> Variant:
        return self.variants[0] if self.live == "blue" else self.variants[1]

    def switched(self) -> BlueGreenPolicy:
        return replace(self, live="blue" if self.live == "green" else "green")

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "blue": self.blue, "green": self.green, "live": self.live}


@dataclass(frozen=True, slots=True)
class ABPolicy(Policy):
    """Two or more variants with weights, sticky by a request key."""

    kind: ClassVar[str] = "ab"
    arms: tuple[Variant, ...]
    salt: str
    key: KeySource = field(default_factory=KeySource)

    def __post_init__(self) -> None:
        require(len(self.arms) >= 2, "an A/B test needs at least two variants")
        names = [a.name for a in self.arms]
        require(len(set(names)) == len(names), f"variant names must be unique, got {names}")
        for arm in self.arms:
            require_version(arm.version if arm.version is not None else 0, f"variant {arm.name}")
            require(arm.weight >= 0, f"variant {arm.name}: weights cannot be negative")
        require(sum(a.weight for a in self.arms) > 0, "at least one weight must be positive")
        # Outcomes are counted per version, so two arms on one version could not be told apart.
        versions = [a.version for a in self.arms]
        require(len(set(versions)) == len(versions), f"each variant needs its own version, got {versions}")

    @property
    def variants(self) -> tuple[Variant, ...]:
        return self.arms

    @property
    def key_source(self) -> KeySource:
        return self.key

    def choose(self, key: str) -> Variant:
        point = bucket(self.salt, key) * sum(a.weight for a in self.arms)
        edge = 0.0
        for arm in self.arms:
            edge += arm.weight
            if point < edge:
                return arm
        return next(a for a in reversed(self.arms) if a.weight > 0)  # float rounding at the very top

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "arms": [a.to_json() for a in self.arms], "salt": self.salt, "key": str(self.key)}


@dataclass(frozen=True, slots=True)
class ShadowPolicy(Policy):
    """Users get ``primary``; ``shadow`` gets a copy of ``sample`` of the traffic, its answers only recorded."""

    kind: ClassVar[str] = "shadow"
    primary: int
    shadow: int
    salt: str
    sample: float = 1.0

    def __post_init__(self) -> None:
        require_version(self.primary, "primary")
        require_version(self.shadow, "shadow")
        require(self.primary != self.shadow, "the shadow must differ from the primary version")
        require(0 < self.sample <= 1, "sample must be within (0, 1]")

    @property
    def variants(self) -> tuple[Variant, ...]:
        return (Variant("primary", self.primary), Variant("shadow", self.shadow, 0.0))

    def choose(self, key: str) -> Variant:
        return self.variants[0]

    def mirror(self, key: str) -> Variant | None:
        return self.variants[1] if self.sample >= 1 or bucket(self.salt, key) < self.sample else None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "primary": self.primary,
            "shadow": self.shadow,
            "salt": self.salt,
            "sample": self.sample,
        }

    def describe(self) -> str:
        return f"primary=v{self.primary}, shadow=v{self.shadow} ({self.sample:.0%} mirrored)"
