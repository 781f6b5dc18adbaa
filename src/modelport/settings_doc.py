"""Render ``docs/configuration.md`` from the Settings field docstrings (``python -m modelport.settings_doc``).

A test compares the file with this output, so the reference cannot drift from the code.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import sys

from pydantic import BaseModel

from modelport.settings import Settings

__all__ = ["render"]

_HEADER = """# Configuration

modelport reads one set of settings from the environment (prefix `MODELPORT_`, nested sections joined
with `__`) when a command or server starts. Generated from the code by `python -m modelport.settings_doc`.

| variable | default | meaning |
|---|---|---|
"""


def _field_docstrings(model: type[BaseModel]) -> dict[str, str]:
    """``{field: docstring}`` for the string literal right under each annotated field, as pydantic's
    ``use_attribute_docstrings`` would read it (which Settings leaves off to start faster)."""
    docs: dict[str, str] = {}
    # Base classes first, so that a subclass redefining a field wins.
    for cls in reversed(model.__mro__):
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or cls.__module__.startswith("pydantic"):
            continue
        tree = ast.parse(inspect.getsource(sys.modules[cls.__module__]))
        body = next(
            (node.body for node in tree.body if isinstance(node, ast.ClassDef) and node.name == cls.__name__), []
        )
        for field, doc in itertools.pairwise(body):
            if (
                isinstance(field, ast.AnnAssign)
                and isinstance(field.target, ast.Name)
                and isinstance(doc, ast.Expr)
                and isinstance(doc.value, ast.Constant)
                and isinstance(doc.value.value, str)
            ):
                docs[field.target.id] = inspect.cleandoc(doc.value.value)
    return docs


def _rows(model: type[BaseModel], prefix: str) -> list[str]:
    rows: list[str] = []
    docs = _field_docstrings(model)
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            rows.extend(_rows(annotation, f"{prefix}{name.upper()}__"))
            continue
        default = field.get_default(call_default_factory=True)
        shown = "(derived)" if default is None else f"`{default}`"
        meaning = " ".join((field.description or docs.get(name, "")).split()).replace("|", "\\|")
        rows.append(f"| `{prefix}{name.upper()}` | {shown} | {meaning} |")
    return rows


def render() -> str:
    return _HEADER + "\n".join(_rows(Settings, "MODELPORT_")) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
