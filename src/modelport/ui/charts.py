"""Charts drawn on the server as SVG, so they need no JavaScript: the A/B confidence interval, drift bars.

Numbers are formatted here; the only text (drift bin labels) is escaped, so the result is safe to
mark as such for Jinja's autoescaping.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

__all__ = ["bar_svg", "bins_svg", "interval_svg"]

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


def bar_svg(
    values: Sequence[float], *, threshold: float | None = None, top: float | None = None, width: int = 160
) -> Markup:
    """One small horizontal bar per value, the threshold marked; ``top`` (default: the largest) fills the width.

    Values above ``top`` are drawn full width: give every row of a table the same ``top`` so their
    bars compare, and one outlier does not flatten the others.
    """
    top = top or max([*values, threshold or 0.0, 1e-9])
    height = 14 * len(values)
    parts = [f'<svg class="bars" viewBox="0 0 {width} {height}" width="{width}" height="{height}" aria-hidden="true">']
    for i, v in enumerate(values):
        over = threshold is not None and v >= threshold
        w = round(min(max(0.0, v), top) / top * width, 2)
        parts.append(f'<rect class="{"over" if over else "bar"}" x="0" y="{i * 14 + 2}" width="{w}" height="10"/>')
    if threshold is not None and threshold <= top:
        tx = round(threshold / top * width, 2)
        parts.append(f'<line class="threshold" x1="{tx}" y1="0" x2="{tx}" y2="{height}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def bins_svg(labels: Sequence[str], reference: Sequence[float], current: Sequence[float]) -> Markup:
    """Share of rows per bin, reference and current side by side (one feature's distribution shift).

    Bin labels come from the version's sample (category names, number ranges): they are escaped.
    """
    n = max(len(labels), 1)
    width, height, base = max(240, 72 * n), 120, 96
    top = max([*reference, *current, 1e-9])
    slot = width / n
    parts = [f'<svg class="bins" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img">']
    for i, (label, ref, cur) in enumerate(zip(labels, reference, current, strict=True)):
        x = i * slot
        for j, (cls, share) in enumerate((("reference", ref), ("current", cur))):
            h = round(share / top * (base - 8), 2)
            bx, bw = round(x + 3 + j * (slot - 6) / 2, 2), round((slot - 6) / 2, 2)
            parts.append(
                f'<rect class="{cls}" x="{bx}" y="{round(base - h, 2)}" width="{bw}" height="{h}">'
                f"<title>{escape(label)}: {cls} {share:.1%}</title></rect>"
            )
        short = escape(label if len(label) <= 12 else label[:11] + "…")
        parts.append(
            f'<text class="tick" x="{round(x + slot / 2, 2)}" y="{height - 10}" text-anchor="middle">{short}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
