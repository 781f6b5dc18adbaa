"""What every command needs: the Settings built once at the entry point, who is acting, lazily opened stores."""

from __future__ import annotations

import getpass
import logging
from dataclasses import dataclass, field

import typer

from modelport.registry import Registry
from modelport.settings import Settings
from modelport.state import StateStore

__all__ = ["CliState", "actor_from", "cli_actor", "registry_from", "settings_from", "store_from"]


def cli_actor(settings: Settings) -> str:
    """Who a change made from the command line is recorded as: ``MODELPORT_ACTOR``, else the OS user."""
    if settings.actor:
        return settings.actor
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without /etc/passwd entry for the uid)
        return "unknown"


@dataclass
class CliState:
    settings: Settings
    _store: StateStore | None = field(default=None, repr=False)
    _registry: Registry | None = field(default=None, repr=False)

    @property
    def actor(self) -> str:
        return cli_actor(self.settings)

    @property
    def store(self) -> StateStore:
        if self._store is None:
            self._store = StateStore.open(self.settings)
        return self._store

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            logging.getLogger("alembic").setLevel(logging.WARNING)
            self._registry = Registry.open(self.settings, self.store)
        return self._registry

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def _state(ctx: typer.Context) -> CliState:
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState(settings=Settings())
    return root.obj


def settings_from(ctx: typer.Context) -> Settings:
    return _state(ctx).settings


def actor_from(ctx: typer.Context) -> str:
    """Who every change this command makes is recorded as (decided here, once, for the whole CLI)."""
    return _state(ctx).actor


def store_from(ctx: typer.Context) -> StateStore:
    return _state(ctx).store


def registry_from(ctx: typer.Context) -> Registry:
    return _state(ctx).registry
