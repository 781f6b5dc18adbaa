"""The image's lock: modelport's dependency closure at the installed versions, markers and extras honoured."""

from __future__ import annotations

import pytest

from modelport.errors import InvalidRequest
from modelport.package import Installed, installed_distributions, pinned_requirements

WORLD = {
    "modelport": Installed(
        "modelport",
        "1.0.0",
        ("Flask>=3", "psycopg[binary]>=3", 'onnx>=1; extra == "onnx"', 'pytest; extra == "dev"'),
        ("onnx", "dev"),
    ),
    "flask": Installed("Flask", "3.1.0", ("Werkzeug>=3", 'asyncio-thing; python_version < "3.0"')),
    "werkzeug": Installed("Werkzeug", "3.1.3", ("MarkupSafe>=2.1",)),
    "markupsafe": Installed("MarkupSafe", "3.0.2"),
    "psycopg": Installed("psycopg", "3.2.9", ('psycopg-binary==3.2.9; extra == "binary"',), ("binary",)),
    "psycopg-binary": Installed("psycopg-binary", "3.2.9"),
    "onnx": Installed("onnx", "1.18.0", ("numpy>=1.22",)),
    "numpy": Installed("numpy", "2.3.1"),
}


def test_the_closure_with_extras_of_dependencies_and_markers() -> None:
    assert pinned_requirements(WORLD) == [
        "Flask==3.1.0",
        "MarkupSafe==3.0.2",
        "psycopg==3.2.9",
        "psycopg-binary==3.2.9",
        "Werkzeug==3.1.3",
    ]


def test_an_extra_adds_its_closure() -> None:
    pins = pinned_requirements(WORLD, ["onnx"])
    assert "onnx==1.18.0" in pins
    assert "numpy==2.3.1" in pins
    assert not any(p.startswith("pytest") for p in pins)


def test_an_unknown_extra_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="unknown extra 'gpu'"):
        pinned_requirements(WORLD, ["gpu"])


def test_a_missing_dependency_names_itself() -> None:
    with pytest.raises(InvalidRequest, match=r"pytest .*not installed"):
        pinned_requirements(WORLD, ["dev"])


def test_the_running_environment_pins_what_is_installed() -> None:
    from importlib.metadata import version

    pins = pinned_requirements(installed_distributions(), ["onnx"])
    assert f"mlflow=={version('mlflow')}" in pins
    assert f"onnxruntime=={version('onnxruntime')}" in pins
    assert f"psycopg-binary=={version('psycopg-binary')}" in pins
    assert not any(p.lower().startswith(("modelport==", "pytest==")) for p in pins)
