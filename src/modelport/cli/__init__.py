"""The ``modelport`` command line (typer). Only this package imports typer."""

from __future__ import annotations

from modelport.cli import batch, deployments, drift, keys, models, predictions, rollouts, serve
from modelport.cli.app import app
from modelport.cli.demo import demo

__all__ = ["app", "main"]

models.register_commands(app)
deployments.register_commands(app)
app.command()(demo)
app.add_typer(keys.app, name="keys")
app.add_typer(batch.app, name="batch")
serve.register(app)
rollouts.register(app)
drift.register_commands(app)
predictions.register_commands(app)


def main() -> None:
    """Console-script entry point."""
    app()
