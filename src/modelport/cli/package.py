"""``modelport package docker|compose|k8s``: write a container build context, a compose stack or a
kustomize tree. The generators in ``modelport.package`` are pure; this module does the writing."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

import modelport
from modelport.cli.helpformat import Typer
from modelport.cli.pairs import parse_pairs
from modelport.errors import InvalidRequest

if TYPE_CHECKING:
    from modelport.batch.schedule import ScheduleSpec

__all__ = ["app"]

app = Typer(
    no_args_is_help=True,
    help="Write a Dockerfile, a compose stack or Kubernetes manifests.\n\n"
    "Example: modelport package compose --out stack",
)

_OUT = Annotated[Path, typer.Option("--out", help="Folder to write into (created if missing).")]
_STREAM_EXTRAS = ("redis", "kafka")
_IMAGE = f"modelport:{modelport.__version__}"
# The generators are imported by each command, not here: `modelport batch score` should not pay for them.


def _given(**options: Any) -> dict[str, Any]:
    """The options the user gave; the spec's own defaults apply to the others."""
    return {key: value for key, value in options.items() if value is not None}


def _write(out: Path, files: Mapping[str, str]) -> None:
    for relative, text in files.items():
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    typer.echo(f"wrote {len(files)} files to {out}")


def _source_root(source: Path | None) -> Path:
    """The checkout modelport runs from (``pyproject.toml`` beside ``src/modelport``), or ``--source``."""
    root = source or Path(modelport.__file__).resolve().parents[2]
    if not (root / "pyproject.toml").is_file() or not (root / "src" / "modelport" / "__init__.py").is_file():
        raise InvalidRequest(
            f"{root} is not a modelport source checkout (pyproject.toml and src/modelport/): pass --source",
            details=[{"field": "source", "value": str(root)}],
        )
    return root


def _copy_source(root: Path, target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        if (root / name).is_file():
            shutil.copy2(root / name, target / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(root / "src" / "modelport", target / "src" / "modelport", ignore=ignore)


@app.command()
def docker(
    out: _OUT,
    base: Annotated[
        str | None, typer.Option(help="Base image of both stages, a fixed tag (default: python:3.11-slim-bookworm).")
    ] = None,
    extras: Annotated[
        str | None, typer.Option(help="Comma-separated extras to install (default: onnx and the stream extras).")
    ] = None,
    index_url: Annotated[str | None, typer.Option(help="Package index for the build (no credentials).")] = None,
    source: Annotated[Path | None, typer.Option(help="modelport checkout to package (default: this one).")] = None,
) -> None:
    """A build context: multi-stage Dockerfile, .dockerignore, requirements.lock and modelport's source.

    Example: modelport package docker --out build/image
    """
    from modelport.package import ImageSpec, installed_distributions, pinned_requirements, provided_extras, render_image

    installed = installed_distributions()
    offered = provided_extras(installed)
    chosen = (
        tuple(e.strip() for e in extras.split(",") if e.strip())
        if extras is not None
        else tuple(e for e in ("onnx", *_STREAM_EXTRAS) if e in offered)
    )
    spec = ImageSpec(**_given(base=base, index_url=index_url), extras=chosen)
    root = _source_root(source)
    files = render_image(spec, pinned_requirements(installed, spec.extras))
    _copy_source(root, out / "source")
    _write(out, files)
    typer.echo(f"build it with: docker build -t {spec.tag} {out}")


@app.command()
def compose(
    out: _OUT,
    image: Annotated[str | None, typer.Option(help=f"The modelport image (default: {_IMAGE}).")] = None,
    replicas: Annotated[int | None, typer.Option(help="modelport server replicas (default: 2).")] = None,
    deployment: Annotated[
        str | None, typer.Option(help="Deployment the stream worker scores (default: credit_risk).")
    ] = None,
    model: Annotated[
        str | None, typer.Option(help="Model the batch job scores at its production alias (default: credit_risk).")
    ] = None,
) -> None:
    """compose.yaml (PostgreSQL, MLflow server, modelport replicas; profiles stream and batch) and .env.

    Example: modelport package compose --out stack --replicas 3
    """
    from modelport.package import ComposeSpec, env_file, render_compose

    spec = ComposeSpec(**_given(image=image, replicas=replicas, deployment=deployment, model=model))
    _write(out, render_compose(spec))
    env = out / ".env"
    if not env.exists():
        # A fresh random password, readable by the owner only; an existing .env is the user's and is kept.
        env.touch(mode=0o600)
        env.write_text(env_file(secrets.token_urlsafe(24)))
        typer.echo(f"wrote {env} with a new random database password (keep it out of version control)")


def _schedule(item: str, image: str) -> ScheduleSpec:
    from modelport.batch.schedule import ScheduleSpec

    fields = parse_pairs(item.split(","), "--batch")
    missing = {"name", "model", "input", "output"} - set(fields)
    if missing:
        raise InvalidRequest(
            f"--batch {item!r} lacks {', '.join(sorted(missing))}: use name=N,model=REF,input=IN,output=OUT[,cron=…]",
            details=[{"field": "batch", "missing": sorted(missing)}],
        )
    cron = fields.get("cron", "0 2 * * *")
    return ScheduleSpec(fields["name"], fields["model"], fields["input"], fields["output"], cron, image=image)


@app.command()
def k8s(
    out: _OUT,
    image: Annotated[str, typer.Option(help="The modelport image with a fixed tag.")] = _IMAGE,
    deployment: Annotated[
        list[str] | None, typer.Option("--deployment", "-d", help="A server role per deployment (repeatable).")
    ] = None,
    stream: Annotated[
        list[str] | None,
        typer.Option(help="A Redis stream worker for this deployment, streams DEPLOYMENT:in|out|dlq (repeatable)."),
    ] = None,
    batch: Annotated[
        list[str] | None,
        typer.Option(help="A scheduled batch run: name=N,model=REF,input=IN,output=OUT[,cron=EXPR] (repeatable)."),
    ] = None,
    registry_uri: Annotated[
        str | None,
        typer.Option(help="The MLflow tracking server as pods reach it, no credentials (default: http://mlflow:5000)."),
    ] = None,
) -> None:
    """A kustomize base and overlays/staging, overlays/production (`kubectl kustomize DIR/overlays/…`).

    Example: modelport package k8s --out k8s -d credit --stream credit
    """
    from modelport.package import ClusterSpec, StreamWorkerSpec, base_objects, manifest_problems, render_k8s

    spec = ClusterSpec(
        image=image,
        deployments=tuple(deployment or ()),
        streams=tuple(StreamWorkerSpec(d) for d in stream or ()),
        schedules=tuple(_schedule(item, image) for item in batch or ()),
        **_given(registry_uri=registry_uri),
    )
    problems = manifest_problems(base_objects(spec))
    if problems:  # a generator bug, not a user's mistake: refuse rather than write unsafe manifests
        raise InvalidRequest(
            f"the manifests fail their checks: {problems[0]}", details=[{"problem": p} for p in problems]
        )
    _write(out, render_k8s(spec))
