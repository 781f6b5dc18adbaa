"""The checks that schema validation misses: each one finds what it is for."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from modelport.batch.schedule import ScheduleSpec
from modelport.package import ClusterSpec, StreamWorkerSpec, base_objects, manifest_problems

SPEC = ClusterSpec(
    image="modelport:1.0.0",
    deployments=("credit_risk",),
    streams=(StreamWorkerSpec("credit_risk"),),
    schedules=(ScheduleSpec("nightly", "credit_risk@production", "in.parquet", "out.parquet", image="mp:1.0"),),
)


def _find(objects: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    return next(o for o in objects if o["kind"] == kind)


def _server(objects: list[dict[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = _find(objects, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    return found


def _no_probe(o: list[dict[str, Any]]) -> None:
    del _server(o)["readinessProbe"]


def _latest(o: list[dict[str, Any]]) -> None:
    _server(o)["image"] = "modelport:latest"


def _no_limit(o: list[dict[str, Any]]) -> None:
    del _server(o)["resources"]["limits"]["memory"]


def _blocking_pdb(o: list[dict[str, Any]]) -> None:
    _find(o, "PodDisruptionBudget")["spec"] = {"minAvailable": 1, "selector": {}}


def _hpa_inverted(o: list[dict[str, Any]]) -> None:
    _find(o, "HorizontalPodAutoscaler")["spec"]["minReplicas"] = 5


def _secret_in_config(o: list[dict[str, Any]]) -> None:
    _find(o, "ConfigMap")["data"]["MODELPORT_STATE_URI"] = "postgresql://app:hunter2@db/state"


def _writable_root(o: list[dict[str, Any]]) -> None:
    _server(o)["securityContext"]["readOnlyRootFilesystem"] = False


def _root_cronjob(o: list[dict[str, Any]]) -> None:
    del _find(o, "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"]


def test_the_rendered_base_passes() -> None:
    assert manifest_problems(base_objects(SPEC)) == []


@pytest.mark.parametrize(
    ("breaks", "expected"),
    [
        (_no_probe, "no readinessProbe"),
        (_latest, "has no fixed tag"),
        (_no_limit, "no limits for memory"),
        (_blocking_pdb, "blocks every drain"),
        (_hpa_inverted, "minReplicas 5 > maxReplicas"),
        (_secret_in_config, "looks like a secret"),
        (_writable_root, "root filesystem writable"),
        (_root_cronjob, "CronJob/nightly: pod does not set runAsNonRoot"),
    ],
)
def test_each_check_finds_its_problem(breaks: Callable[[list[dict[str, Any]]], None], expected: str) -> None:
    objects = copy.deepcopy(base_objects(SPEC))
    breaks(objects)
    problems = manifest_problems(objects)
    assert any(expected in p for p in problems), problems
