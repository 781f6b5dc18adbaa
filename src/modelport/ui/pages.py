"""Jinja2 rendering of the dashboard's templates and the vendored static files shipped with the package.

Autoescaping is on for every template and undefined names fail loudly, so a value from the
registry (a reason, a tag, an actor) can never become markup and a typo in a template is a test
failure instead of an empty cell.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from modelport.ui.charts import bar_svg, bins_svg, interval_svg
from modelport.ui.views import age

__all__ = ["STATIC_TYPES", "Pages", "static_file"]

_HERE = Path(__file__).parent

STATIC_TYPES = {
    "htmx.min.js": "text/javascript",
    "uPlot.iife.min.js": "text/javascript",
    "uPlot.min.css": "text/css",
    "dashboard.css": "text/css",
    "dashboard.js": "text/javascript",
}
"""The only files ``/ui/static/`` serves (a fixed list: no path from a request reaches the disk)."""


def _pct(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f} %"


def _ms(value: float | str | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return f"{value} ms"
    return "> 10 s" if math.isinf(value) else f"{value:.4g} ms"


def _num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _when(value: datetime | str) -> str:
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _ago(value: datetime | str) -> str:
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    return age(when, datetime.now(UTC))


class Pages:
    """The template environment of one app (built once; Jinja caches the compiled templates)."""

    def __init__(self) -> None:
        env = Environment(
            loader=FileSystemLoader(_HERE / "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters.update(pct=_pct, ms=_ms, num=_num, when=_when, ago=_ago)
        env.globals.update(interval_svg=interval_svg, bar_svg=bar_svg, bins_svg=bins_svg)
        self._env = env

    def render(self, template: str, **context: Any) -> str:
        return self._env.get_template(template).render(**context)


@cache
def static_file(name: str) -> tuple[bytes, str] | None:
    """The bytes and media type of a shipped static file, or None for anything not in ``STATIC_TYPES``."""
    media_type = STATIC_TYPES.get(name)
    if media_type is None:
        return None
    return (_HERE / "static" / name).read_bytes(), media_type
