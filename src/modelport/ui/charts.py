"""Charts drawn on the server as SVG, so they need no JavaScript: the A/B confidence interval, drift bars.

Only numbers go into the markup (formatted here), never text from a request, so it is safe to mark
it as such for Jinja's autoescaping.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup

__all__ = ["bar_svg", "interval_svg"]

_W, _H, _PAD = 360, 56, 12


def interval_svg(difference: float, low: float, high: float, *, confidence: float = 0.95) -> Markup:
    """A horizontal axis with zero marked, the interval ``[low, high]`` as a bar and the difference as a dot."""
    values = [v for v in (difference, low, high, 0.0) if math.isfinite(v)]
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    lo, hi = lo - 0.1 * span, hi + 0.1 * span

    def x(v: float) -> float:
        v = min(max(v, lo), hi)
        return round(_PAD + (v - lo) / (hi - lo) * (_W - 2 * _PAD), 2)

    mid = _H // 2
    label = f"{confidence:.0%} interval of the difference: [{low:+.4g}, {high:+.4g}], observed {difference:+.4g}"
    parts = [
        f'<svg class="ci" viewBox="0 0 {_W} {_H}" width="{_W}" height="{_H}" role="img" aria-label="{label}">',
        f"<title>{label}</title>",
        f'<line class="axis" x1="{_PAD}" y1="{mid}" x2="{_W - _PAD}" y2="{mid}"/>',
        f'<line class="zero" x1="{x(0)}" y1="{mid - 16}" x2="{x(0)}" y2="{mid + 16}"/>',
        f'<text class="tick" x="{x(0)}" y="{_H - 2}" text-anchor="middle">0</text>',
    ]
    if math.isfinite(low) and math.isfinite(high):
        parts.append(f'<rect class="interval" x="{x(low)}" y="{mid - 6}" width="{x(high) - x(low)}" height="12"/>')
        parts.append(f'<text class="tick" x="{x(low)}" y="{mid - 10}" text-anchor="middle">{low:+.3g}</text>')
        parts.append(f'<text class="tick" x="{x(high)}" y="{mid - 10}" text-anchor="middle">{high:+.3g}</text>')
    if math.isfinite(difference):
        parts.append(f'<circle class="estimate" cx="{x(difference)}" cy="{mid}" r="5"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_svg(values: Sequence[float], *, threshold: float | None = None, width: int = 160) -> Markup:
    """One small horizontal bar per value (scaled to the largest, or the threshold if larger), threshold marked."""
    top = max([*values, threshold or 0.0, 1e-9])
    height = 14 * len(values)
    parts = [f'<svg class="bars" viewBox="0 0 {width} {height}" width="{width}" height="{height}" aria-hidden="true">']
    for i, v in enumerate(values):
        over = threshold is not None and v > threshold
        w = round(max(0.0, v) / top * width, 2)
        parts.append(f'<rect class="{"over" if over else "bar"}" x="0" y="{i * 14 + 2}" width="{w}" height="10"/>')
    if threshold is not None:
        tx = round(threshold / top * width, 2)
        parts.append(f'<line class="threshold" x1="{tx}" y1="0" x2="{tx}" y2="{height}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
