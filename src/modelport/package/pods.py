"""Pod templates shared by every workload: hardened security context, settings from the ConfigMap,
database URIs from a Secret reference, writable folders on emptyDir (the root filesystem is read-only)."""

from __future__ import annotations

from typing import Any

from modelport.package.cluster import ClusterSpec
from modelport.package.image import HOME, UID

__all__ = ["CONFIG_MAP", "SERVICE_ACCOUNT", "container", "labels", "pod_spec", "probes", "selector", "wiring"]

CONFIG_MAP = "modelport-settings"
SERVICE_ACCOUNT = "modelport"
DRAIN_S = 5
"""``preStop`` pause: endpoints controllers and load balancers stop sending before SIGTERM arrives."""
GRACEFUL_S = 30
"""modelport's own ``serving.graceful_timeout_s`` default: in-flight requests finish within it."""


def selector(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": "modelport", "app.kubernetes.io/instance": name}


def labels(spec: ClusterSpec, name: str, component: str) -> dict[str, str]:
    """The recommended ``app.kubernetes.io/*`` labels."""
    return {
        **selector(name),
        "app.kubernetes.io/version": spec.version,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": "modelport",
        "app.kubernetes.io/managed-by": "modelport",
    }


def probes(port: str) -> dict[str, Any]:
    """Startup gives loading a model up to 10 minutes before liveness counts; readiness means
    "the versions are loaded" (``/readyz``), liveness only "the process answers" (``/livez``), so a
    server that is loading or following a promotion is taken out of rotation, never killed."""
    return {
        "startupProbe": {
            "httpGet": {"path": "/livez", "port": port},
            "periodSeconds": 5,
            "timeoutSeconds": 3,
            "failureThreshold": 120,
        },
        "readinessProbe": {
            "httpGet": {"path": "/readyz", "port": port},
            "periodSeconds": 5,
            "timeoutSeconds": 3,
            "failureThreshold": 2,
        },
        "livenessProbe": {
            "httpGet": {"path": "/livez", "port": port},
            "periodSeconds": 10,
            "timeoutSeconds": 5,
            "failureThreshold": 6,
        },
    }


def wiring(spec: ClusterSpec) -> dict[str, Any]:
    """What every modelport container gets: settings, the state database from a Secret, hardening, folders."""
    return {
        "envFrom": [{"configMapRef": {"name": CONFIG_MAP}}],
        "env": [
            {
                "name": "MODELPORT_STATE_URI",
                "valueFrom": {"secretKeyRef": {"name": spec.database_secret, "key": "state-uri"}},
            }
        ],
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [{"name": "home", "mountPath": HOME}, {"name": "tmp", "mountPath": "/tmp"}],
    }


def container(spec: ClusterSpec, name: str, args: list[str], ports: dict[str, int]) -> dict[str, Any]:
    """A long-running container: probes on its first port, a drain before SIGTERM, base resources."""
    return {
        "name": name,
        "image": spec.image,
        "imagePullPolicy": "IfNotPresent",
        "args": args,
        "ports": [{"name": key, "containerPort": value, "protocol": "TCP"} for key, value in ports.items()],
        **probes(next(iter(ports))),
        "lifecycle": {"preStop": {"exec": {"command": ["sleep", str(DRAIN_S)]}}},
        # The base's requests and limits; each overlay sets its environment's.
        "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
        **wiring(spec),
    }


def pod_spec(name: str, main: dict[str, Any], *, spread: bool = True) -> dict[str, Any]:
    pod: dict[str, Any] = {
        "serviceAccountName": SERVICE_ACCOUNT,
        "automountServiceAccountToken": False,
        "terminationGracePeriodSeconds": DRAIN_S + GRACEFUL_S + 10,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": UID,
            "runAsGroup": UID,
            "fsGroup": UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [main],
        "volumes": [
            {"name": "home", "emptyDir": {"sizeLimit": "2Gi"}},
            {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}},
        ],
    }
    if spread:
        pod["topologySpreadConstraints"] = [
            {
                "maxSkew": 1,
                "topologyKey": key,
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": selector(name)},
            }
            for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")
        ]
    return pod
