"""Traffic policies: frozen, validated values with ``choose(key) -> Variant``.

The router applies them, the controller derives the next one (``advanced()``), the k8s renderer
reads them, and tests check them without a server. ``to_json`` / ``policy_from_json`` is the form
kept in the state store's policy revisions.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Literal

from modelport.deployments.keys import DEFAULT_KEY_HEADER, KeySource, bucket
from modelport.errors import InvalidRequest

__all__ = [
    "ABPolicy",
    "BlueGreenPolicy",
    "CanaryPolicy",
    "CanaryThresholds",
    "Policy",
    "ShadowPolicy",
    "SinglePolicy",
    "Variant",
    "policy_from_json",
]


@dataclass(frozen=True, slots=True)
class Variant:
    """A named share of traffic served by one version (``None``: whatever the deployment's alias points at)."""

    name: str
    version: int | None
    weight: float = 100.0

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "weight": self.weight}


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise InvalidRequest(message)


def _version(value: int, what: str) -> None:
    _require(isinstance(value, int) and value >= 1, f"{what} must be a version number >= 1, got {value!r}")


class Policy:
    """Base of every policy. Subclasses are frozen dataclasses."""

    kind: ClassVar[str]

    @property
    def variants(self) -> tuple[Variant, ...]:
        """Every variant whose version must be loaded (including a shadow or a warm standby)."""
        raise NotImplementedError

    def choose(self, key: str) -> Variant:
        """The variant that answers a request with this sticky key (or request id)."""
        raise NotImplementedError

    def mirror(self, key: str) -> Variant | None:
        """The variant that also receives a copy of this request, off the request path."""
        del key
        return None

    @property
    def key_source(self) -> KeySource:
        return KeySource()

    def to_json(self) -> dict[str, Any]:
        raise NotImplementedError

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
        _version(self.blue, "blue")
        _version(self.green, "green")
        _require(self.blue != self.green, "blue and green must be different versions")
        _require(self.live in ("blue", "green"), f"live must be blue or green, got {self.live!r}")

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
class CanaryThresholds:
    """What a candidate must satisfy at each step; below ``min_requests`` the analysis waits."""

    max_error_rate: float = 0.01
    max_p99_ms: float | None = None
    min_requests: int = 200
    max_error_rate_increase: float | None = None
    """Most the candidate's error rate may exceed the stable version's (None: not compared)."""

    def __post_init__(self) -> None:
        _require(0.0 <= self.max_error_rate <= 1.0, "max_error_rate must be within [0, 1]")
        _require(self.max_p99_ms is None or self.max_p99_ms > 0, "max_p99_ms must be positive")
        _require(self.min_requests >= 1, "min_requests must be at least 1")
        inc = self.max_error_rate_increase
        _require(inc is None or 0.0 <= inc <= 1.0, "max_error_rate_increase must be within [0, 1]")

    def to_json(self) -> dict[str, Any]:
        return {
            "max_error_rate": self.max_error_rate,
            "max_p99_ms": self.max_p99_ms,
            "min_requests": self.min_requests,
            "max_error_rate_increase": self.max_error_rate_increase,
        }


@dataclass(frozen=True, slots=True)
class CanaryPolicy(Policy):
    """Stable plus a candidate on ``steps[step]`` percent of keys, advanced by the rollout controller."""

    kind: ClassVar[str] = "canary"
    stable: int
    candidate: int
    salt: str
    steps: tuple[float, ...] = (5.0, 25.0, 50.0, 100.0)
    step: int = 0
    interval_s: float = 60.0
    thresholds: CanaryThresholds = field(default_factory=CanaryThresholds)
    fallback: bool = True
    """Retry a failed candidate prediction on the stable version (the failure still counts)."""

    def __post_init__(self) -> None:
        _version(self.stable, "stable")
        _version(self.candidate, "candidate")
        _require(self.stable != self.candidate, "the candidate must differ from the stable version")
        _require(len(self.steps) >= 1, "a canary needs at least one step")
        _require(all(0 < s <= 100 for s in self.steps), "steps are percentages within (0, 100]")
        _require(list(self.steps) == sorted(set(self.steps)), "steps must be strictly increasing")
        _require(self.steps[-1] == 100, "the last step must be 100 (the candidate is then promoted)")
        _require(0 <= self.step < len(self.steps), f"step {self.step} is not one of the {len(self.steps)} steps")
        _require(self.interval_s > 0, "interval must be positive")

    @property
    def weight(self) -> float:
        return self.steps[self.step]

    @property
    def last_step(self) -> bool:
        return self.step == len(self.steps) - 1

    @property
    def variants(self) -> tuple[Variant, ...]:
        return (Variant("stable", self.stable, 100.0 - self.weight), Variant("canary", self.candidate, self.weight))

    def choose(self, key: str) -> Variant:
        stable, canary = self.variants
        # Monotone in the weight: a key on the candidate at one step stays there at the next.
        return canary if bucket(self.salt, key) * 100.0 < self.weight else stable

    def advanced(self) -> CanaryPolicy:
        _require(not self.last_step, "the canary is at its last step")
        return replace(self, step=self.step + 1)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "stable": self.stable,
            "candidate": self.candidate,
            "salt": self.salt,
            "steps": list(self.steps),
            "step": self.step,
            "interval_s": self.interval_s,
            "thresholds": self.thresholds.to_json(),
            "fallback": self.fallback,
        }


@dataclass(frozen=True, slots=True)
class ABPolicy(Policy):
    """Two or more variants with weights, sticky by a request key."""

    kind: ClassVar[str] = "ab"
    arms: tuple[Variant, ...]
    salt: str
    key: KeySource = field(default_factory=KeySource)

    def __post_init__(self) -> None:
        _require(len(self.arms) >= 2, "an A/B test needs at least two variants")
        names = [a.name for a in self.arms]
        _require(len(set(names)) == len(names), f"variant names must be unique, got {names}")
        for arm in self.arms:
            _version(arm.version if arm.version is not None else 0, f"variant {arm.name}")
            _require(arm.weight >= 0, f"variant {arm.name}: weights cannot be negative")
        _require(sum(a.weight for a in self.arms) > 0, "at least one weight must be positive")
        # Outcomes are counted per version, so two arms on one version could not be told apart.
        versions = [a.version for a in self.arms]
        _require(len(set(versions)) == len(versions), f"each variant needs its own version, got {versions}")

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
        _version(self.primary, "primary")
        _version(self.shadow, "shadow")
        _require(self.primary != self.shadow, "the shadow must differ from the primary version")
        _require(0 < self.sample <= 1, "sample must be within (0, 1]")

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


def policy_from_json(data: dict[str, Any]) -> Policy:
    """Rebuild (and re-validate) a policy from its stored JSON."""
    try:
        kind = data["kind"]
        if kind == "single":
            return SinglePolicy()
        if kind == "blue-green":
            return BlueGreenPolicy(blue=data["blue"], green=data["green"], live=data["live"])
        if kind == "canary":
            return CanaryPolicy(
                stable=data["stable"],
                candidate=data["candidate"],
                salt=data["salt"],
                steps=tuple(float(s) for s in data["steps"]),
                step=data["step"],
                interval_s=float(data["interval_s"]),
                thresholds=CanaryThresholds(**data["thresholds"]),
                fallback=bool(data["fallback"]),
            )
        if kind == "ab":
            arms = tuple(Variant(a["name"], a["version"], float(a["weight"])) for a in data["arms"])
            return ABPolicy(
                arms=arms, salt=data["salt"], key=KeySource.parse(data.get("key", f"header:{DEFAULT_KEY_HEADER}"))
            )
        if kind == "shadow":
            return ShadowPolicy(
                primary=data["primary"], shadow=data["shadow"], salt=data["salt"], sample=float(data["sample"])
            )
    except (KeyError, TypeError) as exc:
        raise InvalidRequest(f"malformed {data.get('kind')!r} policy: {exc!r}") from exc
    raise InvalidRequest(f"unknown policy kind {data.get('kind')!r}")
