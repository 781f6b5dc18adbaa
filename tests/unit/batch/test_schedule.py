from __future__ import annotations

import ast

import kubernetes_validate
import pytest

from modelport.batch.schedule import ScheduleSpec, render_airflow_dag, render_cronjob, score_command
from modelport.errors import InvalidRequest

SPEC = ScheduleSpec(
    name="credit-risk-nightly",
    model_ref="credit_risk@production",
    input="s3://data/in/*.parquet",
    output="/data/out/scores's.parquet",
    score_args=("--id", "customer_id"),
    env={"MODELPORT_REGISTRY_URI": "postgresql://db/mlflow"},
    namespace="ml",
)


def test_cronjob_validates_against_the_kubernetes_schemas() -> None:
    cronjob = render_cronjob(SPEC)

    kubernetes_validate.validate(cronjob, "1.30.0", strict=True)
    assert cronjob["spec"]["schedule"] == "0 2 * * *"
    container = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == score_command(SPEC)
    assert container["env"] == [{"name": "MODELPORT_REGISTRY_URI", "value": "postgresql://db/mlflow"}]


def test_score_command_is_the_cli_command_with_overwrite() -> None:
    assert score_command(SPEC) == [
        "modelport", "batch", "score", "credit_risk@production", "s3://data/in/*.parquet",
        "/data/out/scores's.parquet", "--id", "customer_id", "--overwrite", "--json",
    ]  # fmt: skip


def test_airflow_dag_compiles_and_runs_the_same_command() -> None:
    source = render_airflow_dag(SPEC)

    compile(source, "credit_risk_nightly.py", "exec")
    calls = [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)]
    keywords = {kw.arg: kw.value for call in calls for kw in call.keywords}
    assert ast.literal_eval(keywords["schedule"]) == "0 2 * * *"
    assert ast.literal_eval(keywords["dag_id"]) == "credit_risk_nightly"
    command = ast.literal_eval(keywords["bash_command"])
    assert command.endswith("'/data/out/scores'\"'\"'s.parquet' --id customer_id --overwrite --json")
    assert ast.literal_eval(keywords["env"]) == {"MODELPORT_REGISTRY_URI": "postgresql://db/mlflow"}


@pytest.mark.parametrize(("field", "value"), [("name", "Not_A_Label"), ("schedule", "every day")])
def test_bad_name_or_schedule_is_refused(field: str, value: str) -> None:
    arguments = {"name": "ok", "model_ref": "m@a", "input": "i", "output": "o", field: value}
    with pytest.raises(InvalidRequest, match=field):
        ScheduleSpec(**arguments)
