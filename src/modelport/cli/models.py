"""Registry commands: register, models, versions, describe, promote, rollback, history, delete."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from modelport.cli.context import actor_from, registry_from, settings_from, store_from
from modelport.cli.output import console, err_console, json_flag, print_json, print_table, shown_time
from modelport.cli.pairs import parse_pairs
from modelport.deployments import PromotionUndone
from modelport.errors import DeploymentNotFound, InvalidSource
from modelport.registry import DEFAULT_ALIAS, read_sample
from modelport.registry.sources import PICKLE_SUFFIXES
from modelport.types import HistoryEntry

if TYPE_CHECKING:
    from modelport.runtime.compilation import CompileReport

__all__ = ["register_commands"]

_VERSION_FIELDS = "name, version, aliases, created, inputs, outputs, tags, description, flavor, source, …"
_ENTRY_FIELDS = "id, time, model, action, actor, alias, from_version, to_version, reason"
EntryJson = Annotated[bool, json_flag(f"the history entry as a JSON object ({_ENTRY_FIELDS})")]
AliasOption = Annotated[str, typer.Option("--alias", "-a", help="Alias to move (stage names like Production work).")]
ReasonOption = Annotated[str | None, typer.Option("--reason", "-r", help="Why: recorded in the history.")]


def _fmt_version(v: int | None) -> str:
    return "-" if v is None else str(v)


def register(
    ctx: typer.Context,
    source: Annotated[
        str,
        typer.Argument(help="Model file (.joblib/.pkl/.skops/.onnx), MLflow model folder, runs:/…, models:/…"),
    ],
    name: Annotated[str, typer.Option("--name", "-n", help="Registered model name.")],
    sample: Annotated[
        Path | None, typer.Option(help="CSV/Parquet of input rows: infers the signature, kept for checks.")
    ] = None,
    description: Annotated[str | None, typer.Option(help="Description of this version.")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", metavar="KEY=VALUE", help="A tag; repeatable.")] = None,
    json_output: Annotated[bool, json_flag(f"the new version as a JSON object ({_VERSION_FIELDS})")] = False,
) -> None:
    """Register a trained model as the next version of NAME.

    Example: modelport register model.joblib --name credit_risk --sample train.csv
    """
    tags = parse_pairs(tag or [], "--tag")
    settings = settings_from(ctx)
    if ":/" not in source and not Path(source).exists():
        raise InvalidSource(f"no such file or folder: {source}")
    frame = read_sample(sample, settings.sample_rows) if sample is not None else None
    if Path(source).suffix.lower() in PICKLE_SUFFIXES and not json_output:
        err_console.print(
            f"warning: {Path(source).name} is a pickle: loading it runs code from the file; "
            "register only files you trust",
            markup=False,
        )
    info = registry_from(ctx).register(
        source, name, actor=actor_from(ctx), sample=frame, description=description, tags=tags
    )
    if json_output:
        print_json(info.to_dict())
    else:
        console.print(f"Registered [bold]{info.name}[/] version [bold]{info.version}[/] ({info.signature_summary})")
        console.print(f"Next: modelport promote {info.name} {info.version}")


def models(
    ctx: typer.Context,
    json_output: Annotated[
        bool, json_flag("a JSON list of models (name, latest_version, aliases as alias: version, description)")
    ] = False,
) -> None:
    """List registered models with their latest version and aliases.

    Example: modelport models --json
    """
    registry = registry_from(ctx)
    found = registry.list_models()
    if json_output:
        print_json([m.to_dict() for m in found])
        return
    if not found:
        err_console.print(
            f"no models in the registry {registry.shown_uri} (home {settings_from(ctx).home}); "
            "register one: modelport register MODEL_FILE --name NAME --sample TRAIN.csv",
            markup=False,
        )
        return
    rows = [
        (m.name, _fmt_version(m.latest_version), ", ".join(f"{a}→{v}" for a, v in sorted(m.aliases.items())))
        for m in found
    ]
    print_table("Registered models", ["name", "latest", "aliases"], rows)


def versions(
    ctx: typer.Context,
    name: str,
    json_output: Annotated[bool, json_flag(f"a JSON list of versions, oldest first ({_VERSION_FIELDS})")] = False,
) -> None:
    """List the versions of model NAME.

    Example: modelport versions credit_risk
    """
    found = registry_from(ctx).versions(name)
    if json_output:
        print_json([v.to_dict() for v in found])
        return
    rows = [
        (
            v.version,
            ", ".join(v.aliases),
            v.created,
            v.signature_summary,
            ", ".join(f"{k}={val}" for k, val in sorted(v.tags.items())),
        )
        for v in found
    ]
    print_table(f"Versions of {name}", ["version", "aliases", "created", "signature", "tags"], rows, times={"created"})


def describe(
    ctx: typer.Context,
    name: str,
    version: int,
    json_output: Annotated[
        bool, json_flag(f"a JSON object ({_VERSION_FIELDS}, predictor, compiled: status and parity)")
    ] = False,
) -> None:
    """Show one version: signature, flavor, tags, source, probabilities, predictor and parity.

    Example: modelport describe credit_risk 2
    """
    registry = registry_from(ctx)
    info = registry.describe(name, version)
    compiled = _compiled(ctx, name, version)
    if json_output:
        print_json(info.to_dict() | {"predictor": compiled.predictor, "compiled": compiled.to_dict()})
        return
    console.print(f"[bold]{info.name}[/] version [bold]{info.version}[/]  aliases: {', '.join(info.aliases) or '-'}")
    console.print(f"flavor: {info.flavor or '-'}   source: {info.source}")
    proba = {True: "yes", False: "no", None: "unknown"}[info.predicts_probabilities]
    console.print(f"predicts probabilities: {proba}   created: {shown_time(info.created)}")
    if info.description:
        console.print(f"description: {info.description}")
    print_table("inputs", ["column", "type", "required"], [(c.name, c.dtype, c.required) for c in info.inputs])
    print_table("outputs", ["name", "type"], [(c.name, c.dtype) for c in info.outputs])
    if info.tags:
        print_table("tags", ["key", "value"], sorted(info.tags.items()))
    console.print(f"predictor: {compiled.predictor_line()}", markup=False)


def _compiled(ctx: typer.Context, name: str, version: int) -> CompileReport:
    from modelport.runtime import compiled_store
    from modelport.runtime.compilation import compiled_status

    settings = settings_from(ctx)
    model_dir = registry_from(ctx).local_model_dir(name, version)
    store = compiled_store(settings, store_from(ctx))
    return compiled_status(store, model_dir, model=name, version=str(version), prefer=settings.runtime.prefer)


def _print_move(entry: HistoryEntry, json_output: bool) -> None:
    if json_output:
        print_json(entry.to_dict())
    else:
        console.print(
            f"{entry.model}@{entry.alias}: {_fmt_version(entry.from_version)} → {entry.to_version} ({entry.action})"
        )


def promote(
    ctx: typer.Context,
    name: str,
    version: int,
    alias: AliasOption = DEFAULT_ALIAS,
    reason: ReasonOption = None,
    json_output: EntryJson = False,
) -> None:
    """Point an alias (default: production) at VERSION of model NAME.

    Example: modelport promote credit_risk 2 --reason 'better accuracy'
    """
    _print_move(
        registry_from(ctx).promote(name, version, actor=actor_from(ctx), alias=alias, reason=reason), json_output
    )


def rollback(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A deployment, or a model (with no deployment of that name).")],
    alias: Annotated[
        str | None, typer.Option("--alias", "-a", help="Roll back this alias of model NAME (default: production).")
    ] = None,
    reason: ReasonOption = None,
    json_output: Annotated[
        bool,
        json_flag(
            "a JSON object: for a model, the history entry (id, time, model, action, alias, …); for a "
            "deployment, undid (promotion or policy) with the entry, or the revision undone and now"
        ),
    ] = False,
) -> None:
    """Undo the last change to what deployment NAME serves, or move model NAME's alias back (from the history).

    Example: modelport rollback credit_risk --reason 'errors after the promote'
    """
    if alias is None and _is_deployment(ctx, name):
        from modelport.cli.rollouts import rollouts_from

        undone = rollouts_from(ctx).rollback(name, reason=reason)
        if json_output:
            print_json(undone.to_dict())
        elif isinstance(undone, PromotionUndone):
            e = undone.entry
            console.print(
                f"{name}: undid the promotion of {e.model}@{e.alias}; back on version {e.to_version}", markup=False
            )
        else:
            r, now = undone.revision, undone.now
            console.print(
                f"{name}: undid policy revision {r.id} ({r.kind}, by {r.actor}); now {now.kind} (revision {now.id})",
                markup=False,
            )
        return
    registry = registry_from(ctx)
    _print_move(
        registry.rollback(name, actor=actor_from(ctx), alias=alias or DEFAULT_ALIAS, reason=reason), json_output
    )


def _is_deployment(ctx: typer.Context, name: str) -> bool:
    try:
        store_from(ctx).get_deployment(name)
    except DeploymentNotFound:
        return False
    return True


def history(
    ctx: typer.Context,
    name: str,
    json_output: Annotated[bool, json_flag(f"a JSON list of history entries, oldest first ({_ENTRY_FIELDS})")] = False,
) -> None:
    """The append-only audit log of model NAME, oldest first.

    Example: modelport history credit_risk
    """
    entries = registry_from(ctx).history(name)
    if json_output:
        print_json([e.to_dict() for e in entries])
        return
    rows = [
        (
            e.time,
            e.actor,
            e.action,
            e.alias or "",
            f"{_fmt_version(e.from_version)} → {_fmt_version(e.to_version)}",
            e.reason or "",
        )
        for e in entries
    ]
    print_table(f"History of {name}", ["time", "actor", "action", "alias", "versions", "reason"], rows, times={"time"})


def delete(
    ctx: typer.Context,
    name: str,
    version: int,
    force: Annotated[bool, typer.Option("--force", help="Delete even if an alias points at it.")] = False,
    reason: ReasonOption = None,
    json_output: EntryJson = False,
) -> None:
    """Delete VERSION of model NAME (refused while an alias points at it, unless --force).

    Example: modelport delete credit_risk 1 --reason 'replaced by version 2'
    """
    entry = registry_from(ctx).delete(name, version, actor=actor_from(ctx), force=force, reason=reason)
    if json_output:
        print_json(entry.to_dict())
    else:
        console.print(f"Deleted {name} version {version}")


def register_commands(app: typer.Typer) -> None:
    for command in (register, models, versions, describe, promote, rollback, history, delete):
        app.command()(command)
