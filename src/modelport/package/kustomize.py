"""The kustomize tree: ``base/`` with every object, ``overlays/staging`` and ``overlays/production``
with their namespace, replicas, HPA bounds and resources. Pure: ``render_k8s(spec) -> {path: text}``.
"""

from __future__ import annotations

from typing import Any

import yaml

from modelport.package.cluster import ClusterSpec, Overlay, Sizing
from modelport.package.manifests import base_objects

__all__ = ["overlay_patches", "render_k8s"]

_KUSTOMIZATION = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization"}


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (the inline patches) as literal blocks, readable as the YAML they are."""


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _string)


def _dump(doc: Any) -> str:
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, width=120)


def _file_name(obj: dict[str, Any]) -> str:
    return f"{obj['kind'].lower()}-{obj['metadata']['name']}.yaml"


def _sizing_patch(kind: str, name: str, container: str, size: Sizing) -> dict[str, Any]:
    resources = {
        "requests": {"cpu": size.cpu_request, "memory": size.memory_request},
        "limits": {"cpu": size.cpu_limit, "memory": size.memory_limit},
    }
    patch = {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": name},
        "spec": {
            "replicas": size.min_replicas,
            "template": {"spec": {"containers": [{"name": container, "resources": resources}]}},
        },
    }
    return {"target": {"kind": kind, "name": name}, "patch": _dump(patch)}


def overlay_patches(spec: ClusterSpec, overlay: Overlay) -> list[dict[str, Any]]:
    """Strategic-merge patches (JSON merge for KEDA's ScaledObject) sizing every workload for ``overlay``."""
    patches: list[dict[str, Any]] = []
    for deployment in spec.deployments or (None,):
        name, size = spec.role(deployment), overlay.servers
        patches.append(_sizing_patch("Deployment", name, "server", size))
        hpa = {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": name},
            "spec": {"minReplicas": size.min_replicas, "maxReplicas": size.max_replicas},
        }
        patches.append({"target": {"kind": "HorizontalPodAutoscaler", "name": name}, "patch": _dump(hpa)})
    for stream in spec.streams:
        name, size = spec.worker(stream), overlay.workers
        patches.append(_sizing_patch("Deployment", name, "worker", size))
        scaled = {
            "apiVersion": "keda.sh/v1alpha1",
            "kind": "ScaledObject",
            "metadata": {"name": name},
            "spec": {"minReplicaCount": size.min_replicas, "maxReplicaCount": size.max_replicas},
        }
        patches.append({"target": {"kind": "ScaledObject", "name": name}, "patch": _dump(scaled)})
    return patches


def _namespace(overlay: Overlay) -> dict[str, Any]:
    # The restricted Pod Security Standard: the cluster itself refuses a pod that loses its hardening.
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": overlay.namespace,
            "labels": {
                "app.kubernetes.io/part-of": "modelport",
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/warn": "restricted",
            },
        },
    }


def render_k8s(spec: ClusterSpec) -> dict[str, str]:
    """Every file of the kustomize tree by relative path."""
    objects = base_objects(spec)
    files = {f"base/{_file_name(obj)}": _dump(obj) for obj in objects}
    files["base/kustomization.yaml"] = _dump({**_KUSTOMIZATION, "resources": [_file_name(o) for o in objects]})
    for overlay in spec.overlays:
        root = f"overlays/{overlay.name}"
        files[f"{root}/namespace.yaml"] = _dump(_namespace(overlay))
        kustomization = {
            **_KUSTOMIZATION,
            "namespace": overlay.namespace,
            "resources": ["../../base", "namespace.yaml"],
            "patches": overlay_patches(spec, overlay),
        }
        files[f"{root}/kustomization.yaml"] = _dump(kustomization)
    return files
