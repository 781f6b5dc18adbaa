"""The kustomize tree: both overlays build with ``kubectl kustomize`` without a warning, every object
validates strictly on Kubernetes 1.27 to 1.37, the policy checks pass, and the overlays differ as meant.

The tree is rendered and built once for the module; validation of all versions is one pass per object.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from modelport.batch.schedule import ScheduleSpec
from modelport.package import PRODUCTION, STAGING, ClusterSpec, StreamWorkerSpec, manifest_problems, render_k8s
from tests.unit.package.golden import check_golden

SPEC = ClusterSpec(
    image="registry.example.com/modelport:1.0.0",
    deployments=("credit_risk", "fraud"),
    streams=(StreamWorkerSpec("credit_risk"),),
    schedules=(
        ScheduleSpec("nightly", "credit_risk@production", "s3://in/x.parquet", "s3://out/x.parquet", image="unused:1"),
    ),
)
VERSIONS = [f"1.{minor}.0" for minor in range(27, 38)]
CRDS = {"ScaledObject", "TriggerAuthentication"}  # KEDA's: no schema in kubernetes-validate


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail("kubectl is needed to build the kustomize overlays (`kubectl kustomize`)")
    root = tmp_path_factory.mktemp("k8s")
    for relative, text in render_k8s(SPEC).items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    out: dict[str, list[dict[str, Any]]] = {}
    for overlay in ("staging", "production"):
        done = subprocess.run([kubectl, "kustomize", str(root / "overlays" / overlay)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert done.stderr == "", done.stderr
        out[overlay] = [doc for doc in yaml.safe_load_all(done.stdout) if doc]
    return out


def _one(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


def test_the_tree_matches_its_golden_files() -> None:
    check_golden("k8s", render_k8s(SPEC))


def test_every_object_validates_strictly_on_1_27_to_1_37(built: dict[str, list[dict[str, Any]]]) -> None:
    failures: list[str] = []
    for overlay, objects in built.items():
        for obj in objects:
            if obj["kind"] in CRDS:
                continue
            for version in VERSIONS:
                try:
                    kubernetes_validate.validate(obj, version, strict=True)
                except kubernetes_validate.ValidationError as exc:
                    failures.append(f"{overlay} {obj['kind']}/{obj['metadata']['name']} on {version}: {exc.message}")
    assert failures == []


def test_strict_validation_can_fail() -> None:
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}, "spec": {"portz": []}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(service, VERSIONS[0], strict=True)


def test_only_keda_objects_lack_a_schema(built: dict[str, list[dict[str, Any]]]) -> None:
    kinds = {o["kind"] for o in built["production"]}
    assert kinds >= {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "ConfigMap",
                     "ServiceAccount", "NetworkPolicy", "CronJob", "Namespace"} | CRDS  # fmt: skip
    for obj in built["production"]:
        if obj["kind"] in CRDS:
            assert obj["apiVersion"] == "keda.sh/v1alpha1"


def test_the_policy_checks_pass_on_both_overlays(built: dict[str, list[dict[str, Any]]]) -> None:
    assert manifest_problems(built["staging"]) == []
    assert manifest_problems(built["production"]) == []


def test_overlays_set_namespace_replicas_bounds_and_resources(built: dict[str, list[dict[str, Any]]]) -> None:
    for overlay, objects in ((STAGING, built["staging"]), (PRODUCTION, built["production"])):
        assert {o["metadata"].get("namespace") for o in objects if o["kind"] != "Namespace"} == {overlay.namespace}
        server = _one(objects, "Deployment", "modelport-credit-risk")
        hpa = _one(objects, "HorizontalPodAutoscaler", "modelport-credit-risk")
        assert server["spec"]["replicas"] == hpa["spec"]["minReplicas"] == overlay.servers.min_replicas
        assert hpa["spec"]["maxReplicas"] == overlay.servers.max_replicas
        limits = server["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
        assert limits == {"cpu": overlay.servers.cpu_limit, "memory": overlay.servers.memory_limit}
        scaled = _one(objects, "ScaledObject", "modelport-stream-credit-risk")
        assert scaled["spec"]["maxReplicaCount"] == overlay.workers.max_replicas
    assert STAGING.servers != PRODUCTION.servers


def test_servers_probe_readiness_and_liveness_and_read_secrets_by_reference(
    built: dict[str, list[dict[str, Any]]],
) -> None:
    objects = built["production"]
    container = _one(objects, "Deployment", "modelport-fraud")["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["serve", "--deployment", "fraud"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert container["lifecycle"]["preStop"]["exec"]["command"][0] == "sleep"
    state = next(e for e in container["env"] if e["name"] == "MODELPORT_STATE_URI")
    assert state["valueFrom"]["secretKeyRef"] == {"name": "modelport-database", "key": "state-uri"}
    assert not any(o["kind"] == "Secret" for o in objects)  # referenced, never rendered with a value


def test_the_stream_worker_runs_the_stream_command(built: dict[str, list[dict[str, Any]]]) -> None:
    worker = _one(built["production"], "Deployment", "modelport-stream-credit-risk")
    args = worker["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[:3] == ["stream", "redis", "credit_risk"]
    assert args[args.index("--url") + 1] == "$(MODELPORT_REDIS_URL)"
    trigger = _one(built["production"], "ScaledObject", "modelport-stream-credit-risk")["spec"]["triggers"][0]
    assert trigger["metadata"]["stream"] == "credit_risk:in"
    assert trigger["metadata"]["consumerGroup"] == "modelport"


def test_the_batch_cronjob_joins_the_kustomization(built: dict[str, list[dict[str, Any]]]) -> None:
    job = _one(built["staging"], "CronJob", "nightly")
    container = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert container["command"][:4] == ["modelport", "batch", "score", "credit_risk@production"]
    assert container["image"] == SPEC.image
    assert {"configMapRef": {"name": "modelport-settings"}} in container["envFrom"]


def test_every_object_carries_the_recommended_labels(built: dict[str, list[dict[str, Any]]]) -> None:
    for obj in built["production"]:
        if obj["kind"] == "Namespace":
            continue
        labels = obj["metadata"]["labels"]
        assert labels["app.kubernetes.io/name"] == "modelport"
        assert labels["app.kubernetes.io/version"] == "1.0.0"
        assert labels["app.kubernetes.io/part-of"] == "modelport"


def test_generated_names_are_dns_labels(tmp_path: Path) -> None:
    names = [path.split("/")[-1] for path in render_k8s(SPEC)]
    assert all(name == name.lower() and "_" not in name for name in names)
