"""compose.yaml: valid against the compose specification's schema, health-gated, secrets only from .env."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from modelport.errors import InvalidRequest
from modelport.package import ComposeSpec, compose_document, env_file, mlflow_server_args, render_compose
from tests.unit.package.golden import check_golden

SPEC = ComposeSpec(image="registry.example.com/modelport:1.0.0")


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft201909Validator:
    schema = json.loads((Path(__file__).parent / "compose-spec.json").read_text())
    return jsonschema.Draft201909Validator(schema)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(render_compose(SPEC)["compose.yaml"])
    return doc


def test_the_files_match_their_golden_copies() -> None:
    check_golden("compose", render_compose(SPEC))


def test_the_compose_file_follows_the_specification(
    validator: jsonschema.Draft201909Validator, document: dict[str, Any]
) -> None:
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(document)]
    assert errors == []


def test_the_schema_check_can_fail(validator: jsonschema.Draft201909Validator, document: dict[str, Any]) -> None:
    broken = {**document, "services": {**document["services"], "mlflow": {**document["services"]["mlflow"]}}}
    broken["services"]["mlflow"]["depends_on"] = {"postgres": {"condition": "whenever"}}
    assert list(validator.iter_errors(broken))


def test_everything_waits_for_healthy_dependencies(document: dict[str, Any]) -> None:
    services = document["services"]
    for name in ("mlflow", "modelport", "stream-redis", "batch"):
        conditions = {dep["condition"] for dep in services[name]["depends_on"].values()}
        assert conditions == {"service_healthy"}, name
        assert all("healthcheck" in services[dep] for dep in services[name]["depends_on"]), name
    assert services["modelport"]["deploy"]["replicas"] == 2
    assert services["modelport"]["environment"]["MODELPORT_REGISTRY_URI"] == "http://mlflow:5000"


def test_the_mlflow_service_runs_the_shared_command(document: dict[str, Any]) -> None:
    assert document["services"]["mlflow"]["entrypoint"] == mlflow_server_args(SPEC.mlflow)
    assert "--serve-artifacts" in document["services"]["mlflow"]["entrypoint"]


def test_profiles_add_the_stream_worker_and_the_batch_job(document: dict[str, Any]) -> None:
    services = document["services"]
    assert {name for name, s in services.items() if "profiles" not in s} == {"postgres", "mlflow", "modelport"}
    worker = services["stream-redis"]["command"]
    assert worker[:3] == ["stream", "redis", "credit_risk"]
    assert [worker[worker.index(flag) + 1] for flag in ("--in", "--out", "--dlq")] == [
        "credit_risk:in",
        "credit_risk:out",
        "credit_risk:dlq",
    ]
    assert services["batch"]["command"][:3] == ["batch", "score", "credit_risk@production"]


def test_no_secret_is_written_inline() -> None:
    text = render_compose(SPEC)["compose.yaml"]
    assert "change-me" not in text
    assert not re.search(r"://[^/\s]*:[^/\s]*@", text)
    for variable in ("POSTGRES_PASSWORD", "MLFLOW_BACKEND_STORE_URI", "MODELPORT_STATE_URI"):
        assert f"${{{variable}:?" in text


def test_the_env_file_holds_every_secret_variable() -> None:
    variables = dict(line.split("=", 1) for line in env_file("s3cret").splitlines() if "=" in line)
    assert set(variables) == {"POSTGRES_PASSWORD", "MLFLOW_BACKEND_STORE_URI", "MODELPORT_STATE_URI"}
    assert all("s3cret" in value for value in variables.values())


def test_bad_specs_are_refused() -> None:
    with pytest.raises(InvalidRequest, match="fixed tag"):
        ComposeSpec(image="modelport:latest")
    with pytest.raises(InvalidRequest, match="replicas"):
        compose_document(ComposeSpec(replicas=0))
