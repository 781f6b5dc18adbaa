"""Checks that schema validation misses, run on rendered objects (``kubectl kustomize`` output or the base).

Each problem is one line naming the object. The CLI refuses to write manifests that have any.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["manifest_problems"]

_SECRET_KEY = re.compile(r"pass(word)?|secret|token|credential|private", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"://[^/@\s]*:[^/@\s]+@")
_WORKLOADS = {"Deployment", "CronJob"}


def _pod(obj: dict[str, Any]) -> dict[str, Any]:
    if obj["kind"] == "CronJob":
        spec: dict[str, Any] = obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        return spec
    pod: dict[str, Any] = obj["spec"]["template"]["spec"]
    return pod


def _containers(obj: dict[str, Any]) -> Iterator[dict[str, Any]]:
    pod = _pod(obj)
    yield from pod.get("initContainers", [])
    yield from pod["containers"]


def _image_pinned(image: str) -> bool:
    if "@sha256:" in image:
        return True
    last = image.rsplit("/", 1)[-1]
    return ":" in last and not last.endswith(":latest")


def _workload(obj: dict[str, Any], where: str) -> Iterator[str]:
    pod = _pod(obj)
    if not pod.get("securityContext", {}).get("runAsNonRoot"):
        yield f"{where}: pod does not set runAsNonRoot"
    for c in _containers(obj):
        at = f"{where} container {c['name']}"
        if not _image_pinned(c.get("image", "")):
            yield f"{at}: image {c.get('image')!r} has no fixed tag"
        resources = c.get("resources", {})
        for kind in ("requests", "limits"):
            missing = {"cpu", "memory"} - set(resources.get(kind, {}))
            if missing:
                yield f"{at}: no {kind} for {', '.join(sorted(missing))}"
        security = c.get("securityContext", {})
        if not security.get("readOnlyRootFilesystem") or security.get("allowPrivilegeEscalation", True):
            yield f"{at}: root filesystem writable or privilege escalation allowed"
        if "ALL" not in security.get("capabilities", {}).get("drop", []):
            yield f"{at}: capabilities not all dropped"
        if obj["kind"] == "Deployment":
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                if probe not in c:
                    yield f"{at}: no {probe}"


def _config_map(obj: dict[str, Any], where: str) -> Iterator[str]:
    for key, value in (obj.get("data") or {}).items():
        if _SECRET_KEY.search(key) or _URL_PASSWORD.search(str(value)):
            yield f"{where}: {key} looks like a secret; reference a Secret instead"


def manifest_problems(objects: Iterable[dict[str, Any]]) -> list[str]:
    """Every problem found; an empty list means the manifests pass."""
    objects = list(objects)
    problems: list[str] = []
    replicas: dict[str, int] = {}
    for obj in objects:
        kind, name = obj["kind"], obj["metadata"]["name"]
        where = f"{kind}/{name}"
        if kind in _WORKLOADS:
            problems += _workload(obj, where)
        if kind == "Deployment":
            replicas[name] = int(obj["spec"].get("replicas", 1))
        elif kind == "ConfigMap":
            problems += _config_map(obj, where)
        elif kind == "HorizontalPodAutoscaler":
            low, high = obj["spec"].get("minReplicas", 1), obj["spec"]["maxReplicas"]
            if low > high:
                problems.append(f"{where}: minReplicas {low} > maxReplicas {high}")
        elif kind == "ScaledObject":
            low, high = obj["spec"].get("minReplicaCount", 0), obj["spec"].get("maxReplicaCount", 100)
            if low > high:
                problems.append(f"{where}: minReplicaCount {low} > maxReplicaCount {high}")
    for obj in objects:
        if obj["kind"] != "PodDisruptionBudget":
            continue
        name, spec = obj["metadata"]["name"], obj["spec"]
        count = replicas.get(name)
        if count is None:
            problems.append(f"PodDisruptionBudget/{name}: no Deployment of that name")
        elif "minAvailable" in spec and int(spec["minAvailable"]) >= count:
            problems.append(f"PodDisruptionBudget/{name}: minAvailable {spec['minAvailable']} blocks every drain "
                            f"of {count} replicas")  # fmt: skip
        elif "maxUnavailable" in spec and int(spec["maxUnavailable"]) < 1:
            problems.append(f"PodDisruptionBudget/{name}: maxUnavailable 0 blocks every drain")
    return problems
