"""Run an edge bundle with nothing but onnxruntime, numpy and the standard library.

This file is copied into every bundle as ``predict.py``; it must never import modelport (the device
has none) and it is also what ``modelport edge verify`` runs, so a bundle is checked by exactly the
code that will serve it. One file by design, longer than a module here usually is: it travels alone.

    python predict.py INPUT.csv|INPUT.jsonl    one JSON object per row: prediction (+ probabilities)
    python predict.py --self-test              rerun the golden vectors against the manifest's tolerances

Before loading the model the runner checks every file's sha256 against ``manifest.json``; a bundle
with a changed byte is refused. Exit codes: 0 ok, 1 self-test failed, 2 bad input, 3 bundle invalid.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np

__all__ = ["BundleError", "Comparison", "InputError", "Runner", "compare", "file_digests", "main"]

MANIFEST = "manifest.json"
GOLDEN = "golden.json"
_CHUNK = 1024
_FEED_DTYPES: dict[str, Any] = {
    "tensor(float)": np.float32,
    "tensor(double)": np.float64,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
    "tensor(bool)": np.bool_,
    "tensor(string)": object,
}


class BundleError(Exception):
    """The bundle itself is unusable: a missing or changed file, an unreadable manifest."""


class InputError(Exception):
    """A row of the input does not fit the model's inputs."""


def file_digests(root: Path, names: Sequence[str]) -> dict[str, str]:
    """The sha256 of each named file of ``root``."""
    digests = {}
    for name in names:
        digest = hashlib.sha256()
        with (root / name).open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        digests[name] = digest.hexdigest()
    return digests


class Runner:
    """A bundle's model loaded and checked: rows in (as column-name mappings), predictions out."""

    def __init__(self, root: Path, *, threads: int = 0) -> None:
        self.root = root
        try:
            self.manifest: dict[str, Any] = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BundleError(f"cannot read {root / MANIFEST}: {exc}") from exc
        self.check_files()
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads  # 0: onnxruntime's default, every core
        options.log_severity_level = 3  # errors only: converters' loose output shapes make ORT warn per call
        model = str(root / self.manifest["model_file"])
        try:
            self.session = ort.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise BundleError(f"onnxruntime cannot load {model}: {exc}") from exc
        self.columns: list[dict[str, Any]] = list(self.manifest["inputs"])
        self.classes: list[Any] | None = self.manifest.get("classes")
        self.output_names = [o["name"] for o in self.manifest["outputs"]]
        feeds = self.session.get_inputs()
        names = {c["name"] for c in self.columns}
        self._matrix = len(feeds) == 1 and feeds[0].name not in names
        self._feeds = [(f.name, _FEED_DTYPES.get(f.type), len(f.shape or ())) for f in feeds]
        unknown = [f.type for f in feeds if f.type not in _FEED_DTYPES]
        if unknown:
            raise BundleError(f"unsupported model input types: {unknown}")

    def check_files(self) -> None:
        """Raise :class:`BundleError` unless every file listed in the manifest has its recorded sha256."""
        files: dict[str, Any] = self.manifest.get("files") or {}
        if self.manifest.get("model_file") not in files:
            raise BundleError("the manifest does not list the model file")
        for name, entry in files.items():
            path = self.root / name
            if Path(name).is_absolute() or ".." in Path(name).parts or not path.is_file():
                raise BundleError(f"{name}: listed in the manifest but missing from the bundle")
            if file_digests(self.root, [name])[name] != entry["sha256"]:
                raise BundleError(f"{name}: sha256 differs from the manifest (the file was changed)")

    def feed(self, rows: Sequence[Mapping[str, Any]], first_row: int = 0) -> dict[str, np.ndarray]:
        """Model inputs for ``rows``: one matrix in signature order, or one ``n x 1`` tensor per column."""
        values: dict[str, list[Any]] = {c["name"]: [] for c in self.columns}
        for offset, row in enumerate(rows):
            for column in self.columns:
                values[column["name"]].append(_value(row, column, first_row + offset))
        if self._matrix:
            name, dtype, _ = self._feeds[0]
            matrix = np.array([values[c["name"]] for c in self.columns], dtype=np.float64).T
            return {name: np.ascontiguousarray(matrix, dtype=dtype)}
        feed = {}
        for name, dtype, rank in self._feeds:
            array = np.asarray(values[name], dtype=dtype)
            feed[name] = array.reshape(-1, 1) if rank == 2 else array
        return feed

    def run(self, feed: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray | None]:
        """Predictions (1-D) and, for classifiers with probabilities, the ``n x classes`` matrix."""
        outputs = self.session.run(self.output_names, dict(feed))
        predictions = np.asarray(outputs[0])
        if predictions.ndim == 2 and predictions.shape[1] == 1:
            predictions = predictions.ravel()
        probabilities = np.asarray(outputs[1], dtype=np.float64) if len(outputs) > 1 else None
        return predictions, probabilities

    def predict_rows(self, rows: Sequence[Mapping[str, Any]], first_row: int = 0) -> list[dict[str, Any]]:
        """One ``{"prediction", "probabilities"?}`` object per row, as ``/predict`` gives them."""
        predictions, probabilities = self.run(self.feed(rows, first_row))
        answers: list[dict[str, Any]] = []
        for i, prediction in enumerate(predictions.tolist()):
            answer: dict[str, Any] = {"prediction": prediction}
            if probabilities is not None:
                answer["probabilities"] = [float(p) for p in probabilities[i]]
            answers.append(answer)
        return answers

    def self_test(self) -> Comparison:
        """Rerun the golden vectors and compare with the original model's outputs they hold."""
        try:
            golden = json.loads((self.root / GOLDEN).read_text(encoding="utf-8"))
            names = golden["columns"]
            rows = [dict(zip(names, values, strict=True)) for values in golden["rows"]]
            expected = golden["expected"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise BundleError(f"cannot read the golden vectors {GOLDEN}: {exc}") from exc
        try:
            predictions, probabilities = self.run(self.feed(rows))
        except InputError as exc:
            raise BundleError(f"the golden vectors do not fit the model: {exc}") from exc
        return compare(
            np.asarray(expected["predictions"]),
            None if expected.get("probabilities") is None else np.asarray(expected["probabilities"]),
            predictions,
            probabilities,
            tolerances=self.manifest["tolerances"],
            classifier=self.classes is not None,
        )


def _value(row: Mapping[str, Any], column: Mapping[str, Any], index: int) -> Any:
    name, kind = column["name"], column["type"]
    raw = row.get(name)
    if raw is None or raw == "":
        if column.get("required", True):
            raise InputError(f"row {index}: column {name!r} is missing")
        return math.nan if kind in ("double", "float") else None
    try:
        if kind in ("double", "float"):
            return float(raw)
        if kind in ("long", "integer"):
            number = float(raw)
            if not number.is_integer():
                raise ValueError(raw)
            return int(number)
        if kind == "boolean":
            if isinstance(raw, str):
                return {"true": True, "1": True, "false": False, "0": False}[raw.strip().lower()]
            return bool(raw)
        return str(raw)
    except (KeyError, TypeError, ValueError):
        raise InputError(f"row {index}: column {name!r}: {raw!r} is not a {kind}") from None


class Comparison:
    """How a bundle's outputs compare with the original model's, and whether that is within tolerance."""

    def __init__(self, rows: int, figures: dict[str, Any], failures: list[str]) -> None:
        self.rows = rows
        self.figures = figures
        self.failures = failures

    @property
    def passed(self) -> bool:
        return not self.failures


def compare(
    expected: np.ndarray,
    expected_probabilities: np.ndarray | None,
    got: np.ndarray,
    got_probabilities: np.ndarray | None,
    *,
    tolerances: Mapping[str, float | None],
    classifier: bool,
) -> Comparison:
    """Label agreement and absolute differences per output, judged against ``tolerances``.

    Classifiers: ``min_label_agreement`` and, with probabilities, ``max_abs_diff`` and
    ``max_mean_abs_diff`` of the probabilities. Regressors: ``max_rel_diff`` of the values,
    relative to each value's magnitude floored at the mean magnitude (values near zero do not
    demand exactness beyond float precision).
    """
    rows = len(expected)
    failures: list[str] = []
    figures: dict[str, Any] = {}
    if len(got) != rows:
        return Comparison(rows, figures, [f"{len(got)} outputs for {rows} rows"])
    if classifier:
        agreement = float(np.mean(expected.astype(str) == got.astype(str))) if rows else 1.0
        figures["label_agreement"] = agreement
        least = tolerances.get("min_label_agreement")
        if least is not None and agreement < least:
            failures.append(f"label agreement {agreement:.4f} < {least}")
        if expected_probabilities is not None:
            if got_probabilities is None or got_probabilities.shape != expected_probabilities.shape:
                return Comparison(rows, figures, [*failures, "probabilities missing or of another shape"])
            diff = np.abs(got_probabilities - expected_probabilities)
            figures["probabilities"] = _spread(diff)
            failures += _judge("probabilities", figures["probabilities"], tolerances)
        return Comparison(rows, figures, failures)
    ref, out = expected.astype(np.float64), got.astype(np.float64)
    diff = np.abs(out - ref)
    figures["prediction"] = _spread(diff)
    scale = np.maximum(np.abs(ref), np.abs(ref).mean() if rows else 0.0)
    relative = float((diff / np.maximum(scale, 1e-300)).max()) if rows else 0.0
    figures["prediction"]["max_rel_diff"] = relative
    most = tolerances.get("max_rel_diff")
    if most is not None and relative > most:
        failures.append(f"predictions differ by {relative:.2e} relative > {most}")
    return Comparison(rows, figures, failures)


def _spread(diff: np.ndarray) -> dict[str, float]:
    return {
        "max_abs_diff": float(diff.max()) if diff.size else 0.0,
        "mean_abs_diff": float(diff.mean()) if diff.size else 0.0,
    }


def _judge(output: str, spread: Mapping[str, float], tolerances: Mapping[str, float | None]) -> list[str]:
    failures = []
    for figure in ("max_abs_diff", "mean_abs_diff"):
        limit = tolerances.get(figure if figure == "max_abs_diff" else "max_mean_abs_diff")
        if limit is not None and spread[figure] > limit:
            failures.append(f"{output}: {figure.replace('_', ' ')} {spread[figure]:.2e} > {limit}")
    return failures


def read_rows(path: Path) -> Iterator[Mapping[str, Any]]:
    """Rows of a CSV file (header line) or a JSON Lines file (one object per line)."""
    with path.open(encoding="utf-8", newline="") as handle:
        if path.suffix.lower() == ".csv":
            yield from csv.DictReader(handle)
            return
        for number, line in enumerate(handle):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise InputError(f"line {number + 1}: not JSON ({exc})") from None
            if not isinstance(row, dict):
                raise InputError(f"line {number + 1}: expected an object of column values")
            yield row


def _predict_file(runner: Runner, path: Path, out: TextIO) -> None:
    chunk: list[Mapping[str, Any]] = []
    done = 0
    for row in read_rows(path):
        chunk.append(row)
        if len(chunk) == _CHUNK:
            _emit(runner.predict_rows(chunk, done), out)
            done, chunk = done + len(chunk), []
    if chunk:
        _emit(runner.predict_rows(chunk, done), out)


def _emit(answers: list[dict[str, Any]], out: TextIO) -> None:
    out.writelines(json.dumps(answer) + "\n" for answer in answers)


def main(argv: Sequence[str] | None = None, *, bundle: Path | None = None) -> int:
    parser = argparse.ArgumentParser(description="Predict with this edge bundle (onnxruntime + numpy only).")
    parser.add_argument("input", nargs="?", type=Path, help="a .csv (with header) or .jsonl file of rows")
    parser.add_argument("--self-test", action="store_true", help="rerun the golden vectors and compare")
    parser.add_argument("--bundle", type=Path, default=bundle or Path(__file__).resolve().parent)
    args = parser.parse_args(argv)
    if args.input is None and not args.self_test:
        parser.error("give an INPUT file or --self-test")
    try:
        runner = Runner(args.bundle)
        if args.self_test:
            result = runner.self_test()
            summary = json.dumps(result.figures)
            if not result.passed:
                print(f"self-test FAILED on {result.rows} rows: {'; '.join(result.failures)}", file=sys.stderr)
                return 1
            print(f"self-test passed on {result.rows} rows: {summary}")
        if args.input is not None:
            _predict_file(runner, args.input, sys.stdout)
    except BrokenPipeError:  # the reader stopped early (``| head``): not an error of ours
        sys.stderr.close()
        return 0
    except BundleError as exc:
        print(f"error[bundle_invalid]: {exc}", file=sys.stderr)
        return 3
    except (InputError, OSError) as exc:
        print(f"error[invalid_input]: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
