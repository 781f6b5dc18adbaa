"""Rendering: autoescaping of registry text, strict templates, the SVG interval, the static whitelist."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from modelport.types import HistoryEntry
from modelport.ui import STATIC_TYPES, Pages, bar_svg, bins_svg, interval_svg, static_file
from modelport.ui.views import ModelPage


def _x(svg: str, cls: str, attr: str = "x") -> float:
    found = re.search(rf'class="{cls}"[^>]* {attr}="([-0-9.]+)"', svg) or re.search(
        rf'<\w+ class="{cls}" {attr}1?="([-0-9.]+)"', svg
    )
    assert found, f"no {cls} in {svg}"
    return float(found.group(1))


def test_the_interval_is_drawn_around_the_estimate_and_left_of_zero_when_negative() -> None:
    svg = str(interval_svg(-0.03, -0.05, -0.01))
    low = _x(svg, "interval")
    width = float(re.search(r'class="interval"[^>]* width="([0-9.]+)"', svg).group(1))  # type: ignore[union-attr]
    estimate = float(re.search(r'class="estimate" cx="([0-9.]+)"', svg).group(1))  # type: ignore[union-attr]
    zero = float(re.search(r'class="zero" x1="([0-9.]+)"', svg).group(1))  # type: ignore[union-attr]
    assert low < estimate < low + width < zero
    assert "95%" in svg


def test_an_interval_that_straddles_zero_contains_it() -> None:
    svg = str(interval_svg(0.01, -0.02, 0.04))
    low = _x(svg, "interval")
    width = float(re.search(r'class="interval"[^>]* width="([0-9.]+)"', svg).group(1))  # type: ignore[union-attr]
    zero = float(re.search(r'class="zero" x1="([0-9.]+)"', svg).group(1))  # type: ignore[union-attr]
    assert low < zero < low + width


def test_text_from_the_registry_is_escaped() -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    entry = HistoryEntry(1, when, "m", "promote", "<b>eve</b>", "production", 1, 2, '<script>alert("x")</script>')
    html = Pages().render("_history.html", view=ModelPage("m", {}, [], [entry], []))
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html
    assert "&lt;b&gt;eve&lt;/b&gt;" in html
    assert "2026-01-02 03:04:05 UTC" in html


def test_a_template_given_too_little_fails_instead_of_rendering_blanks() -> None:
    with pytest.raises(Exception, match="undefined"):
        Pages().render("_history.html")


def test_only_the_listed_static_files_are_served() -> None:
    for name in STATIC_TYPES:
        found = static_file(name)
        assert found is not None
        assert len(found[0]) > 100
    assert static_file("../pages.py") is None
    assert static_file("README.md") is None


def test_psi_bars_share_one_scale_and_an_outlier_is_clipped_to_the_width() -> None:
    small = str(bar_svg([0.1], threshold=0.2, top=0.4))
    huge = str(bar_svg([8.0], threshold=0.2, top=0.4))
    assert 'class="bar" x="0" y="2" width="40.0"' in small
    assert 'class="over" x="0" y="2" width="160.0"' in huge
    assert 'class="threshold" x1="80.0"' in small


def test_bin_labels_from_the_sample_are_escaped() -> None:
    svg = str(bins_svg(["<b>", "ok"], [0.5, 0.5], [0.9, 0.1]))
    assert "<b>" not in svg
    assert "&lt;b&gt;" in svg
    assert svg.count('class="current"') == 2


def test_the_timeline_says_what_each_policy_did_and_the_numbers_behind_a_decision() -> None:
    t = "2026-01-02T03:04:05+00:00"
    side = {"version": 2, "requests": 250, "error_rate": 0.004, "p99_ms": 20}
    numbers = {
        "step": 0, "weight": 5.0, "elapsed_s": 61.0, "interval_s": 60.0, "candidate": side,
        "stable": {**side, "version": 1},
        "thresholds": {"max_error_rate": 0.01, "max_p99_ms": None, "min_requests": 200},
    }  # fmt: skip
    events = [
        {"type": "decision", "time": t, "action": "advance", "reason": "healthy at 5%", "numbers": numbers},
        {"type": "policy", "time": t, "kind": "canary", "actor": "ops", "reason": None, "undoes": None,
         "policy": {"steps": [5.0, 100.0], "step": 0, "candidate": 2}},
        {"type": "policy", "time": t, "kind": "ab", "actor": "ops", "reason": "test", "undoes": None,
         "policy": {"arms": [{"name": "A", "version": 1, "weight": 50}, {"name": "B", "version": 2, "weight": 50}]}},
        {"type": "policy", "time": t, "kind": "blue-green", "actor": "ops", "reason": None, "undoes": 3,
         "policy": {"blue": 1, "green": 2, "live": "green"}},
        {"type": "alias", "time": t, "alias": "production", "action": "promote", "actor": "ops",
         "from_version": 1, "to_version": 2, "reason": None},
    ]  # fmt: skip
    html = Pages().render("_timeline.html", view={"row": {"deployment": {"name": "credit"}}, "timeline": events})
    text = " ".join(html.split())
    assert "controller: <strong>advance</strong>" in text
    assert '<td>candidate</td><td>v2</td><td class="num">250</td>' in html.replace("\n", "").replace("  ", "")
    assert "0.40 %" in text
    assert "step 1/2: v2 on 5.0 %" in text
    assert "A=v1 50 %, B=v2 50 %" in text
    assert "blue v1, green v2, live: green (undoes revision 3)" in text
    assert "production: promote v1 → v2" in text
