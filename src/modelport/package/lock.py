"""Pinned requirements for an image: modelport's dependency closure at the versions installed here.

The project has no lock file of its own; the versions a user has installed and tested with are the
lock. The walk is pure (``installed`` maps a normalized name to its version and ``Requires-Dist``);
``installed_distributions`` reads the running environment for the CLI.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata

from packaging.requirements import Requirement

from modelport.errors import InvalidRequest

__all__ = ["Installed", "installed_distributions", "pinned_requirements", "provided_extras"]


@dataclass(frozen=True)
class Installed:
    """One installed distribution as the lock needs it."""

    name: str
    version: str
    requires: tuple[str, ...] = ()
    extras: tuple[str, ...] = ()


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_distributions() -> dict[str, Installed]:
    """Every distribution of the running environment, by normalized name."""
    found: dict[str, Installed] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if not name:
            continue
        found.setdefault(
            normalize(name),
            Installed(
                name=name,
                version=dist.version,
                requires=tuple(dist.requires or ()),
                extras=tuple(dist.metadata.get_all("Provides-Extra") or ()),
            ),
        )
    return found


def provided_extras(installed: Mapping[str, Installed], root: str = "modelport") -> tuple[str, ...]:
    dist = installed.get(normalize(root))
    return dist.extras if dist else ()


def pinned_requirements(
    installed: Mapping[str, Installed], extras: Iterable[str] = (), root: str = "modelport"
) -> list[str]:
    """``name==version`` for every distribution ``root[extras]`` needs, sorted; ``root`` itself excluded."""
    top = installed.get(normalize(root))
    if top is None:
        raise InvalidRequest(f"{root} is not installed in this environment, so there is nothing to pin")
    unknown = sorted(set(extras) - set(top.extras))
    if unknown:
        raise InvalidRequest(
            f"unknown extra {unknown[0]!r}: {root} offers {', '.join(top.extras) or 'none'}",
            details=[{"field": "extras", "value": e} for e in unknown],
        )
    pins: dict[str, str] = {}
    todo: list[tuple[Installed, frozenset[str]]] = [(top, frozenset(extras))]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        dist, wanted = todo.pop()
        key = (normalize(dist.name), wanted)
        if key in seen:
            continue
        seen.add(key)
        for line in dist.requires:
            req = Requirement(line)
            if req.marker is not None and not any(req.marker.evaluate({"extra": e}) for e in ("", *wanted)):
                continue
            dep = installed.get(normalize(req.name))
            if dep is None:
                raise InvalidRequest(
                    f"{req.name} (needed by {dist.name}) is not installed here: install {root}"
                    f"[{','.join(sorted(extras))}] first so that the image gets the versions you tested"
                )
            if normalize(dep.name) != normalize(root):
                pins[normalize(dep.name)] = f"{dep.name}=={dep.version}"
            todo.append((dep, frozenset(req.extras)))
    return [pins[name] for name in sorted(pins)]
