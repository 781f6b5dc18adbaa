"""The ``modelport`` command line (typer). Only this package imports typer."""

from __future__ import annotations

from modelport.cli import (
    batch,
    compilation,
    deployments,
    drift,
    edge,
    keys,
    models,
    package,
    predictions,
    rollouts,
    serve,
    stream,
)
from modelport.cli.app import app
from modelport.cli.demo import demo

__all__ = ["app", "main"]

models.register_commands(app)
deployments.register_commands(app)
app.command()(demo)
app.add_typer(keys.app, name="keys")
app.add_typer(batch.app, name="batch")
app.add_typer(edge.app, name="edge")
app.add_typer(package.app, name="package")
app.add_typer(stream.app, name="stream")
serve.register(app)
compilation.register(app)
rollouts.register(app)
drift.register_commands(app)
predictions.register_commands(app)


def main() -> None:
    """Console-script entry point."""
    app()
