"""The kustomize base as Kubernetes objects: one Deployment per server role (with its Service, HPA and
PodDisruptionBudget), stream workers with KEDA ScaledObjects, scheduled batch CronJobs, and what they
share (ConfigMap, ServiceAccount, NetworkPolicy). Pure: ``base_objects(spec) -> list[dict]``.

Plain Deployments suffice: modelport's servers route canary, A/B and shadow traffic themselves and
follow the registry, so a promotion needs neither a new rollout nor a service mesh.
"""

from __future__ import annotations

import copy
from typing import Any

from modelport.batch.schedule import render_cronjob
from modelport.package.cluster import ClusterSpec
from modelport.package.commands import StreamWorkerSpec
from modelport.package.image import HOME, PORT
from modelport.package.pods import CONFIG_MAP, SERVICE_ACCOUNT, container, labels, pod_spec, selector, wiring

__all__ = ["base_objects"]

_DNS = {"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}
_TRIGGER_AUTH = "modelport-redis"


def _meta(spec: ClusterSpec, name: str, component: str) -> dict[str, Any]:
    return {"name": name, "labels": labels(spec, name, component)}


def _deployment(spec: ClusterSpec, name: str, component: str, main: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(spec, name, component),
        "spec": {
            "replicas": 1,
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": selector(name)},
            # Surge first: a rolling update never lowers serving capacity.
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
            "template": {"metadata": {"labels": labels(spec, name, component)}, "spec": pod_spec(name, main)},
        },
    }


def _pdb(spec: ClusterSpec, name: str, component: str) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": _meta(spec, name, component),
        # maxUnavailable rather than minAvailable: a drain can always proceed, one pod at a time.
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector(name)}},
    }


def _server(spec: ClusterSpec, deployment: str | None) -> list[dict[str, Any]]:
    name = spec.role(deployment)
    args = ["serve"] + (["--deployment", deployment] if deployment else [])
    main = container(spec, "server", args, {"http": PORT})
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": _meta(spec, name, "server"),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": 1,
            "maxReplicas": 2,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
                }
            ],
            # Scale down slowly: a new pod loads its versions before it takes traffic.
            "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300}},
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(spec, name, "server"),
        "spec": {
            "type": "ClusterIP",
            "selector": selector(name),
            "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
        },
    }
    return [_deployment(spec, name, "server", main), service, hpa, _pdb(spec, name, "server")]


def _worker(spec: ClusterSpec, stream: StreamWorkerSpec) -> list[dict[str, Any]]:
    name = spec.worker(stream)
    main = container(spec, "worker", stream.args("$(MODELPORT_REDIS_URL)"), {"metrics": stream.metrics_port})
    main["env"].append(
        {"name": "MODELPORT_REDIS_URL", "valueFrom": {"secretKeyRef": {"name": spec.redis_secret, "key": "url"}}}
    )
    scaled = {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": _meta(spec, name, "stream-worker"),
        "spec": {
            "scaleTargetRef": {"name": name},
            "minReplicaCount": 1,
            "maxReplicaCount": 2,
            "cooldownPeriod": 300,
            "triggers": [
                {
                    "type": "redis-streams",
                    "metadata": {"stream": stream.input, "consumerGroup": stream.group, "lagCount": "1000"},
                    "authenticationRef": {"name": _TRIGGER_AUTH},
                }
            ],
        },
    }
    return [_deployment(spec, name, "stream-worker", main), scaled, _pdb(spec, name, "stream-worker")]


def _trigger_auth(spec: ClusterSpec) -> dict[str, Any]:
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "TriggerAuthentication",
        "metadata": _meta(spec, _TRIGGER_AUTH, "stream-worker"),
        "spec": {
            "secretTargetRef": [
                {"parameter": "address", "name": spec.redis_secret, "key": "address"},
                {"parameter": "password", "name": spec.redis_secret, "key": "password"},
            ]
        },
    }


def _cronjob(spec: ClusterSpec, index: int) -> dict[str, Any]:
    """The batch CronJob of ``modelport batch schedule``, hardened and wired to the shared settings."""
    job = copy.deepcopy(render_cronjob(spec.schedules[index]))
    job["metadata"]["labels"] = labels(spec, job["metadata"]["name"], "batch")
    pod = job["spec"]["jobTemplate"]["spec"]["template"]
    pod["metadata"]["labels"] = labels(spec, job["metadata"]["name"], "batch")
    main = pod["spec"]["containers"][0]
    wired = wiring(spec)
    main["image"] = spec.image  # one image for every role of the cluster
    main["envFrom"] = wired["envFrom"]
    main["env"] = wired["env"] + main.get("env", [])
    main["securityContext"] = wired["securityContext"]
    main["volumeMounts"] = wired["volumeMounts"]
    main["resources"]["limits"].setdefault("cpu", main["resources"]["requests"]["cpu"])
    shared = pod_spec(job["metadata"]["name"], main, spread=False)
    pod["spec"] = {**shared, "restartPolicy": pod["spec"]["restartPolicy"]}
    return job


def _shared(spec: ClusterSpec) -> list[dict[str, Any]]:
    settings = {
        "MODELPORT_REGISTRY_URI": spec.registry_uri,
        "MODELPORT_HOME": HOME,
        "MODELPORT_SERVING__HOST": "0.0.0.0",
        "MODELPORT_SERVING__PORT": str(PORT),
        "MODELPORT_SERVING__JSON_LOGS": "true",
    }
    ingress_ports: list[dict[str, str | int]] = [{"port": "http", "protocol": "TCP"}]
    ingress_ports += [{"port": s.metrics_port, "protocol": "TCP"} for s in spec.streams]
    return [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(spec, CONFIG_MAP, "config"), "data": settings},
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": _meta(spec, SERVICE_ACCOUNT, "identity"),
            "automountServiceAccountToken": False,
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": _meta(spec, "modelport", "network"),
            "spec": {
                "podSelector": {"matchLabels": {"app.kubernetes.io/part-of": "modelport"}},
                "policyTypes": ["Ingress", "Egress"],
                # Requests and scrapes may come from anywhere that routes to the pods; nothing else is open.
                "ingress": [{"ports": ingress_ports}],
                # DNS, PostgreSQL, the MLflow tracking server (and HTTPS registries), Redis.
                "egress": [
                    _DNS,
                    {"ports": [{"port": p, "protocol": "TCP"} for p in (5432, 5000, 443, 80, 6379)]},
                ],
            },
        },
    ]


def base_objects(spec: ClusterSpec) -> list[dict[str, Any]]:
    """Every object of the kustomize base, in a stable order."""
    objects = _shared(spec)
    for deployment in spec.deployments or (None,):
        objects += _server(spec, deployment)
    for stream in spec.streams:
        objects += _worker(spec, stream)
    if spec.streams:
        objects.append(_trigger_auth(spec))
    objects += [_cronjob(spec, i) for i in range(len(spec.schedules))]
    return objects
