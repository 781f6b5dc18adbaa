"""Rollout commands: canary, ab (+ report), shadow (+ report), bluegreen, switch, rollout …, deployment history.

Every command calls ``modelport.deployments.Rollouts`` (the same core as the admin API) and prints
one line for people or ``--json`` for pipelines.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import typer

from modelport.cli.context import actor_from, registry_from, store_from
from modelport.cli.helpformat import HelpfulGroup, Typer
from modelport.cli.output import console, json_flag, print_json, print_table
from modelport.deployments import (
    CanaryThresholds,
    DecisionEvent,
    KeySource,
    PolicyEvent,
    Rollouts,
    ab_report,
    deployment_history,
    rollout_status,
    shadow_report,
)
from modelport.errors import InvalidRequest
from modelport.state import PolicyRevision

__all__ = ["register", "rollouts_from"]

RevisionJson = Annotated[
    bool, json_flag("the policy revision as a JSON object (id, deployment, time, actor, kind, policy, reason, undoes)")
]
ReasonOption = Annotated[str | None, typer.Option("--reason", "-r", help="Why: recorded in the history.")]
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


class _DefaultCommandGroup(HelpfulGroup):
    """``modelport ab NAME V1 V2`` starts; ``modelport ab report NAME`` reports (a group with a default)."""

    # ``ctx`` is typer's click context, whose class typer keeps private (``typer.Context`` is a
    # subclass of it, too narrow for an override): typed loosely, only handed back to typer.
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args.insert(0, "start")
        return super().parse_args(ctx, args)


def rollouts_from(ctx: typer.Context) -> Rollouts:
    return Rollouts(store_from(ctx), registry_from(ctx), actor=actor_from(ctx))


def parse_duration(text: str) -> float:
    """``60s``, ``5m``, ``500ms``, ``1h`` or plain seconds."""
    match = _DURATION.match(text)
    if match is None:
        raise InvalidRequest(f"invalid duration {text!r}: use e.g. 60s, 5m, 500ms")
    return float(match.group(1)) * _UNIT_S[match.group(2) or "s"]


def _numbers(text: str, what: str) -> list[float]:
    try:
        return [float(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise InvalidRequest(f"invalid {what} {text!r}: use comma-separated numbers like 5,25,50,100") from None


def _done(revision: PolicyRevision, message: str, json_output: bool) -> None:
    if json_output:
        print_json(revision.to_dict())
    else:
        console.print(f"{message} (policy revision {revision.id})", markup=False)


def canary(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Deployment.")],
    version: Annotated[int, typer.Argument(help="Candidate version.")],
    steps: Annotated[
        str, typer.Option(metavar="PCT,PCT,…", help="Traffic percentages, ending at 100.")
    ] = "5,25,50,100",
    interval: Annotated[str, typer.Option(metavar="DURATION", help="Least time per step (60s, 5m).")] = "60s",
    max_error_rate: Annotated[float, typer.Option(help="Abort above this error rate.")] = 0.01,
    max_p99_ms: Annotated[float | None, typer.Option(help="Abort above this p99 latency (ms).")] = None,
    min_requests: Annotated[int, typer.Option(help="Wait until the candidate has this many requests.")] = 200,
    max_error_rate_increase: Annotated[
        float | None, typer.Option(help="Abort if the candidate's error rate exceeds stable's by more.")
    ] = None,
    fallback: Annotated[bool, typer.Option(help="Retry failed candidate predictions on stable.")] = True,
    reason: ReasonOption = None,
    json_output: RevisionJson = False,
) -> None:
    """Start a progressive canary of VERSION; the servers' controller advances, promotes or aborts it.

    Example: modelport canary credit 3 --steps 10,50,100 --interval 5m
    """
    thresholds = CanaryThresholds(max_error_rate, max_p99_ms, min_requests, max_error_rate_increase)
    revision = rollouts_from(ctx).canary(
        name,
        version,
        steps=_numbers(steps, "--steps"),
        interval_s=parse_duration(interval),
        thresholds=thresholds,
        fallback=fallback,
        reason=reason,
    )
    p = revision.policy
    _done(revision, f"Canary on {name}: v{p['candidate']} at {p['steps'][0]:g}% against v{p['stable']}", json_output)


ab_app = Typer(
    cls=_DefaultCommandGroup,
    no_args_is_help=True,
    help="Start an A/B test, or report on it.\n\nExample: modelport ab credit 2 3 --weights 90,10",
)


@ab_app.command(
    "start",
    help="Start an A/B test on deployment NAME: versions V1 V2 [V3…] are variants A, B, …\n\n"
    "Example: modelport ab credit 2 3 --weights 50,50 --key header:X-User-Id",
)
def ab_start(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Deployment.")],
    versions: Annotated[list[int], typer.Argument(help="Two or more versions.")],
    weights: Annotated[
        str | None, typer.Option(metavar="PCT,PCT,…", help="Percentages per variant, e.g. 50,50.")
    ] = None,
    key: Annotated[
        str, typer.Option(metavar="header:NAME|field:NAME", help="Sticky key: a header or a body field.")
    ] = "header:X-Modelport-Key",
    reason: ReasonOption = None,
    json_output: RevisionJson = False,
) -> None:
    revision = rollouts_from(ctx).ab(
        name,
        versions,
        weights=_numbers(weights, "--weights") if weights else None,
        key=KeySource.parse(key),
        reason=reason,
    )
    arms = ", ".join(f"{a['name']}=v{a['version']} {a['weight']:g}%" for a in revision.policy["arms"])
    _done(revision, f"A/B test on {name}: {arms}, sticky by {revision.policy['key']}", json_output)


@ab_app.command("report")
def ab_report_command(
    ctx: typer.Context,
    name: str,
    mde: Annotated[float | None, typer.Option(help="Minimum detectable effect (absolute difference).")] = None,
    alpha: Annotated[float, typer.Option(help="Significance level.")] = 0.05,
    json_output: Annotated[
        bool,
        json_flag(
            "a JSON object (deployment, revision, started, active, key, mde, variants: name, version, weight, "
            "requests, outcomes, mean; comparisons: variant, control, test, difference, CI, p-value)"
        ),
    ] = False,
) -> None:
    """Per-variant requests and outcomes; difference, confidence interval and p-value against variant A.

    Example: modelport ab report credit --mde 0.02
    """
    report = ab_report(rollouts_from(ctx), name, mde=mde, alpha=alpha)
    if json_output:
        print_json(report.to_dict())
        return
    print_table(
        f"A/B test on {name} (revision {report.revision.id}, key {report.key})",
        ["variant", "version", "weight", "requests", "outcomes", "mean"],
        [(v.name, v.version, v.weight, v.requests, v.outcomes, _fmt(v.mean)) for v in report.variants],
    )
    for c in report.comparisons:
        result = c.result
        if result is None:
            console.print(f"{c.variant} vs {c.control}: each variant needs at least two outcomes")
            continue
        line = (
            f"{c.variant} vs {c.control} ({result.test}): difference {result.difference:+.4f}, "
            f"{result.confidence:.0%} CI [{result.ci_low:+.4f}, {result.ci_high:+.4f}], p = {result.p_value:.4g}"
        )
        if c.still_needed_per_variant is not None:
            line += f"; {c.still_needed_per_variant} more outcomes per variant to detect {mde}"
        console.print(line, markup=False)


def _fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.4f}"


shadow_app = Typer(
    cls=_DefaultCommandGroup,
    no_args_is_help=True,
    help="Start a shadow, or report on it.\n\nExample: modelport shadow report credit",
)


@shadow_app.command(
    "start",
    help="Mirror deployment NAME's traffic to VERSION, off the request path.\n\n"
    "Example: modelport shadow credit 3 --sample 0.2",
)
def shadow_start(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Deployment.")],
    version: Annotated[int, typer.Argument(help="Shadow version.")],
    sample: Annotated[float, typer.Option(help="Share of requests mirrored, (0, 1].")] = 1.0,
    reason: ReasonOption = None,
    json_output: RevisionJson = False,
) -> None:
    revision = rollouts_from(ctx).shadow(name, version, sample=sample, reason=reason)
    p = revision.policy
    _done(revision, f"Shadow on {name}: v{p['shadow']} mirrors v{p['primary']} ({p['sample']:.0%})", json_output)


@shadow_app.command("report")
def shadow_report_command(
    ctx: typer.Context,
    name: str,
    json_output: Annotated[
        bool,
        json_flag(
            "a JSON object (deployment, revision, started, then the report: versions, requests, agreement, "
            "probability differences, shadow errors, latency of each)"
        ),
    ] = False,
) -> None:
    """Label agreement, probability differences and latency of the primary and the shadow.

    Example: modelport shadow report credit
    """
    summary = shadow_report(rollouts_from(ctx), name)
    if json_output:
        print_json(summary.to_dict())
        return
    r = summary.report
    console.print(
        f"Shadow v{r.shadow_version} vs v{r.primary_version} on {name}: {r.requests} requests, "
        f"agreement {_fmt(r.agreement)}, mean |Δp| {_fmt(r.mean_abs_diff)}, "
        f"max |Δp| {_fmt(r.max_abs_diff)}, shadow errors {r.shadow_errors}",
        markup=False,
    )
    for who, lat in (("primary", r.primary_latency), ("shadow", r.shadow_latency)):
        console.print(f"  {who} latency: mean {_fmt(lat['mean_ms'])} ms, p99 {_fmt(lat['p99_ms'])} ms", markup=False)


def bluegreen(
    ctx: typer.Context, name: str, version: int, reason: ReasonOption = None, json_output: RevisionJson = False
) -> None:
    """Load VERSION warm next to the live version; `modelport switch NAME` moves the traffic.

    Example: modelport bluegreen credit 3
    """
    revision = rollouts_from(ctx).bluegreen(name, version, reason=reason)
    p = revision.policy
    _done(revision, f"Blue-green on {name}: live v{p['blue']}, warm v{p['green']}", json_output)


def switch(ctx: typer.Context, name: str, reason: ReasonOption = None, json_output: RevisionJson = False) -> None:
    """Flip a blue-green deployment to its other (warm) version, atomically.

    Example: modelport switch credit
    """
    revision = rollouts_from(ctx).switch(name, reason=reason)
    live = revision.policy["live"]
    _done(revision, f"{name} now serves {live} (v{revision.policy[live]})", json_output)


rollout_app = Typer(
    no_args_is_help=True,
    help="Inspect, promote or abort a deployment's rollout.\n\nExample: modelport rollout status credit",
)


@rollout_app.command()
def status(
    ctx: typer.Context,
    name: str,
    json_output: Annotated[
        bool,
        json_flag(
            "a JSON object (deployment, kind, policy, describe, revision, outcomes per version, analysis for a canary)"
        ),
    ] = False,
) -> None:
    """The policy, live outcomes per version and, for a canary, what the analysis says now.

    Example: modelport rollout status credit
    """
    found = rollout_status(rollouts_from(ctx), name)
    if json_output:
        print_json(found.to_dict())
        return
    console.print(f"{name}: {found.policy.kind} — {found.policy.describe()}", markup=False)
    for version, stats in sorted(found.outcomes.items()):
        o = stats.to_json()
        console.print(
            f"  v{version}: {o['requests']} requests, error rate {o['error_rate']:.2%}, p99 {o['p99_ms']} ms",
            markup=False,
        )
    if found.analysis is not None:
        console.print(f"  analysis: {found.analysis.action} — {found.analysis.reason}", markup=False)


@rollout_app.command()
def promote(ctx: typer.Context, name: str, reason: ReasonOption = None, json_output: RevisionJson = False) -> None:
    """Finish a canary or a blue-green now: the candidate (the live colour) becomes the alias's version.

    Example: modelport rollout promote credit
    """
    revision = rollouts_from(ctx).promote(name, reason=reason)
    _done(revision, f"{name}: rollout finished, serving the alias ({revision.reason})", json_output)


@rollout_app.command()
def abort(ctx: typer.Context, name: str, reason: ReasonOption = None, json_output: RevisionJson = False) -> None:
    """End the rollout: all traffic back to the version the alias points at.

    Example: modelport rollout abort credit --reason 'p99 too high'
    """
    revision = rollouts_from(ctx).abort(name, reason=reason)
    _done(revision, f"{name}: rollout aborted, serving the alias", json_output)


deployment_app = Typer(
    no_args_is_help=True, help="One deployment's records.\n\nExample: modelport deployment history credit"
)


@deployment_app.command()
def history(
    ctx: typer.Context,
    name: str,
    json_output: Annotated[
        bool,
        json_flag(
            "a JSON list of events, oldest first, each with type (policy, decision or alias) and that "
            "record's fields (time, actor or action, reason, …)"
        ),
    ] = False,
) -> None:
    """Policy revisions, controller decisions (with their numbers) and alias moves, oldest first.

    Example: modelport deployment history credit
    """
    events = deployment_history(rollouts_from(ctx), name)
    if json_output:
        print_json([e.to_dict() for e in events])
        return
    rows = []
    for e in events:
        if isinstance(e, PolicyEvent):
            r = e.revision
            what = r.kind + (f" (undoes {r.undoes})" if r.undoes else "")
            rows.append((r.time, r.actor, "policy", what, r.reason or ""))
        elif isinstance(e, DecisionEvent):
            d = e.decision
            rows.append((d.time, "controller", d.action, f"revision {d.policy_revision}", d.reason))
        else:
            h = e.entry
            versions = f"{h.from_version} → {h.to_version}"
            rows.append((h.time, h.actor, h.action, versions, h.reason or ""))
    print_table(
        f"History of deployment {name}", ["time", "actor", "event", "what", "reason / numbers"], rows, times={"time"}
    )


def register(app: typer.Typer) -> None:
    """Mount every rollout command on the root ``modelport`` app."""
    app.command()(canary)
    app.add_typer(ab_app, name="ab")
    app.add_typer(shadow_app, name="shadow")
    app.command()(bluegreen)
    app.command()(switch)
    app.add_typer(rollout_app, name="rollout")
    app.add_typer(deployment_app, name="deployment")
