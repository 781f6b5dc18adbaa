"""``modelport drift NAME``: feature drift of what a deployment serves, merged over every server."""

from __future__ import annotations

from typing import Annotated

import typer

from modelport.cli.context import registry_from, settings_from, store_from
from modelport.cli.output import console, json_flag, print_json, print_table, shown_time

__all__ = ["drift", "register_commands"]


def drift(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Deployment to report on.")],
    version: Annotated[
        int | None, typer.Option(help="Version to report on (default: the one its alias serves).")
    ] = None,
    json_output: Annotated[
        bool,
        json_flag(
            "the report as a JSON object, as GET /deployments/NAME/drift answers (deployment, model, "
            "version, threshold, min_rows, enough_data, drifted, window, features)"
        ),
    ] = False,
) -> None:
    """PSI per input feature of NAME's served inputs against the version's registration sample.

    Reads the counts every server of the state store wrote (they flush every drift.flush_interval_s).

    Example: modelport drift credit
    """
    from modelport.inference.drift import read_report, reference_from_dir

    settings = settings_from(ctx)
    store = store_from(ctx)
    deployment = store.get_deployment(name)
    registry = registry_from(ctx)
    number = version if version is not None else registry.alias_version(deployment.model, deployment.alias)
    model_dir = registry.local_model_dir(deployment.model, number)
    reference = reference_from_dir(model_dir, settings.drift, what=f"{deployment.model} v{number}")
    report = read_report(
        store.drift, reference, settings.drift, deployment=name, model=deployment.model, version=str(number)
    )
    if json_output:
        print_json(report.to_dict())
        return
    window = report.window
    console.print(
        f"{name} serves {report.model} v{report.version}: {window.rows:,} rows in the last {window.seconds:g} s "
        f"(since {shown_time(window.start)}) against {window.reference_rows:,} reference rows; "
        f"drifted at PSI >= {report.threshold:g}",
        markup=False,
    )
    if not report.enough_data:
        console.print(f"too few rows to judge (fewer than {report.min_rows}); no PSI yet")
    print_table(
        "Feature drift",
        ["feature", "kind", "psi", "drifted"],
        [
            (f.name, f.kind, "-" if f.psi is None else f"{f.psi:.4f}", "DRIFTED" if f.drifted else "")
            for f in report.features
        ],
    )


def register_commands(app: typer.Typer) -> None:
    app.command()(drift)
