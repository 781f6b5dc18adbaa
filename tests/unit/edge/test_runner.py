"""The runner shipped as predict.py: CSV and JSON Lines in, /predict-shaped rows out, clear input errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import mlflow.sklearn
import numpy as np
import pandas as pd
import pytest

from modelport.edge import runner

Bundle = Callable[[str], Path]


def _rows(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_csv_rows_give_the_models_labels_and_probabilities(
    pristine: Bundle, models: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = pristine("mixed")
    frame = pd.DataFrame(
        {"city": ["paris", "nice", "lyon"] * 700, "age": [30, 61, 45] * 700, "score": [0.1, 0.9, -0.4] * 700}
    )
    frame.to_csv(tmp_path / "in.csv", index=False)  # 2100 rows: more than one chunk of the runner

    assert runner.main([str(tmp_path / "in.csv")], bundle=out) == 0

    answers = _rows(capsys)
    original = mlflow.sklearn.load_model(str(models["mixed"]))
    assert [a["prediction"] for a in answers] == original.predict(frame).tolist()
    np.testing.assert_allclose([a["probabilities"] for a in answers], original.predict_proba(frame), atol=1e-4)


def test_jsonl_rows_and_optional_blank_lines(
    pristine: Bundle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = pristine("regressor")
    rows = [{f: 1.0 for f in json.loads((out / "golden.json").read_text())["columns"]}] * 3
    (tmp_path / "in.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")

    assert runner.main([str(tmp_path / "in.jsonl")], bundle=out) == 0

    answers = _rows(capsys)
    assert len(answers) == 3
    assert set(answers[0]) == {"prediction"}  # a regressor has no probabilities


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('{"city": "paris", "age": 3}\n', "row 0: column 'score' is missing"),
        ('{"city": "paris", "age": "old", "score": 1}\n', "row 0: column 'age': 'old' is not a long"),
        ('{"city": "paris", "age": 2.5, "score": 1}\n', "row 0: column 'age': 2.5 is not a long"),
        ("[1, 2, 3]\n", "line 1: expected an object of column values"),
        ("{nope\n", "line 1: not JSON"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    pristine: Bundle, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, problem: str
) -> None:
    (tmp_path / "bad.jsonl").write_text(content)

    assert runner.main([str(tmp_path / "bad.jsonl")], bundle=pristine("mixed")) == 2

    err = capsys.readouterr().err
    assert err.startswith("error[invalid_input]: ")
    assert problem in err
    assert err.count("\n") == 1


def test_self_test_passes_and_a_changed_model_is_refused_before_loading(
    bundle: Bundle, capsys: pytest.CaptureFixture[str]
) -> None:
    out = bundle("boosting")

    assert runner.main(["--self-test"], bundle=out) == 0
    assert "self-test passed on" in capsys.readouterr().out

    model = out / "model.onnx"
    model.write_bytes(model.read_bytes() + b"\0")
    assert runner.main(["--self-test"], bundle=out) == 3
    assert "error[bundle_invalid]: model.onnx: sha256 differs" in capsys.readouterr().err


def test_a_path_outside_the_bundle_in_the_manifest_is_refused(bundle: Bundle) -> None:
    out = bundle("logistic")
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["files"]["../outside.onnx"] = {"sha256": "0" * 64}
    (out / "manifest.json").write_text(json.dumps(manifest))

    with pytest.raises(runner.BundleError, match="missing from the bundle"):
        runner.Runner(out)


def test_compare_judges_each_tolerance() -> None:
    tolerances = {"min_label_agreement": 1.0, "max_abs_diff": 0.1, "max_mean_abs_diff": 0.01, "max_rel_diff": 1e-3}
    labels = np.array([0, 1, 1, 0])
    probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4]])
    same = runner.compare(labels, probabilities, labels, probabilities, tolerances=tolerances, classifier=True)
    assert same.passed

    moved = probabilities + np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.2, -0.2]])
    flipped = np.array([0, 1, 1, 1])
    worse = runner.compare(labels, probabilities, flipped, moved, tolerances=tolerances, classifier=True)
    assert worse.figures["label_agreement"] == 0.75
    assert len(worse.failures) == 3  # labels, max and mean difference

    values = np.array([100.0, 200.0])
    drift = runner.compare(values, None, values * 1.01, None, tolerances=tolerances, classifier=False)
    assert drift.failures == ["predictions differ by 1.00e-02 relative > 0.001"]
