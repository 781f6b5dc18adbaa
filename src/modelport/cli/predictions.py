"""``modelport log NAME``: what the prediction log kept of a deployment's requests, joined with their feedback."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer

from modelport.cli.context import settings_from, store_from
from modelport.cli.output import console, json_flag, print_json, print_table
from modelport.errors import InvalidRequest

__all__ = ["log", "parse_since", "register_commands"]

_AGO = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhd])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_since(text: str, *, now: datetime | None = None) -> datetime:
    """``90s``, ``15m``, ``2h``, ``7d`` ago, or an ISO 8601 time (UTC unless it says otherwise)."""
    now = now or datetime.now(UTC)
    ago = _AGO.match(text.strip())
    if ago:
        return now - timedelta(seconds=float(ago.group(1)) * _UNIT_S[ago.group(2)])
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidRequest(
            f"--since {text!r}: use a duration such as 15m, 2h, 7d or an ISO time such as 2026-12-01T08:00"
        ) from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def log(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Deployment whose requests to show.")],
    since: Annotated[
        str, typer.Option(metavar="AGO|TIME", help="From when: 15m, 2h, 7d ago, or an ISO time (UTC unless it says).")
    ] = "1h",
    limit: Annotated[
        int, typer.Option(metavar="N", min=1, max=100_000, help="Show at most the newest N requests.")
    ] = 100,
    feedback: Annotated[bool, typer.Option("--feedback", help="Join each request with its feedback.")] = False,
    json_output: Annotated[
        bool,
        json_flag(
            "a JSON list of requests, oldest first, every field (request_id, deployment, variant, model, "
            "version, time, latency_ms, rows, inputs, outputs; feedback with --feedback)"
        ),
    ] = False,
) -> None:
    """Show the requests the prediction log kept for NAME (sampled, as the prediction_log settings say).

    Example: modelport log credit --since 2h --feedback
    """
    from modelport.logsinks import read_logged

    settings = settings_from(ctx)
    store = store_from(ctx)
    store.get_deployment(name)  # an unknown name is an error, not an empty log
    entries = read_logged(settings, name, since=parse_since(since), limit=limit)
    joined = store.outcomes.feedback_for_requests(name, [e.request_id for e in entries]) if feedback else {}
    rows: list[dict[str, Any]] = []
    for entry in entries:
        row = entry.to_dict()
        if feedback:
            row["feedback"] = [
                {"value": f.value, "variant": f.variant, "version": f.version} for f in joined.get(entry.request_id, [])
            ]
        rows.append(row)
    if json_output:
        print_json(rows)
        return
    if not rows:
        console.print(f"no logged requests of {name} since {since}")
        return
    columns = ["time", "request id", "served", "ms", "rows", "prediction"]
    if feedback:
        columns.append("feedback")
    print_table(f"Prediction log of {name}", columns, [_cells(r, feedback) for r in rows], times={"time"})


def _cells(row: dict[str, Any], feedback: bool) -> list[Any]:
    outputs = row["outputs"]
    first = outputs["predictions"][0] if outputs and outputs["predictions"] else None
    cells: list[Any] = [
        row["time"],
        row["request_id"],
        f"{row['variant']} v{row['version']}",
        f"{row['latency_ms']:.1f}",
        row["rows"],
        "" if first is None else first,
    ]
    if feedback:
        cells.append(", ".join(f"{f['value']:g}" for f in row["feedback"]))
    return cells


def register_commands(app: typer.Typer) -> None:
    app.command()(log)
