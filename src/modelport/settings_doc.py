"""Render ``docs/configuration.md`` from the Settings field docstrings (``python -m modelport.settings_doc``).

A test compares the file with this output, so the reference cannot drift from the code.
"""

from __future__ import annotations

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


def _rows(model: type[BaseModel], prefix: str) -> list[str]:
    rows: list[str] = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            rows.extend(_rows(annotation, f"{prefix}{name.upper()}__"))
            continue
        default = field.get_default(call_default_factory=True)
        shown = "(derived)" if default is None else f"`{default}`"
        meaning = " ".join((field.description or "").split()).replace("|", "\\|")
        rows.append(f"| `{prefix}{name.upper()}` | {shown} | {meaning} |")
    return rows


def render() -> str:
    return _HEADER + "\n".join(_rows(Settings, "MODELPORT_")) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
