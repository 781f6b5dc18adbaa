"""The MLflow client behind the registry, and the one place its failures become modelport errors.

Two kinds of failure come out of MLflow and they must not be confused:

- *the registry cannot be reached*: a database with nothing listening, a database that does not
  exist, a refused password, an HTTP tracking server that does not answer. MLflow surfaces these
  as SQLAlchemy errors while it opens its store, as ``MlflowException`` with code
  ``TEMPORARILY_UNAVAILABLE`` wrapping one later, or as ``MlflowException("API request to … failed
  …")`` over HTTP. Every one becomes :class:`BackendError` (one line, exit 7), wherever it happens,
  because :class:`MlflowConnection` hands out a client whose every call is checked.
- *the registry answered "no"*: an unknown model, version or alias. Those stay ``MlflowException``
  so each caller can say which thing was missing (``ModelNotFound``, ``VersionNotFound`` …).

Messages are masked (:func:`modelport.urls.mask_urls_in`): a driver may quote the URL it was given.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from modelport.errors import BackendError, ModelNotFound, ModelportError
from modelport.urls import mask_url, mask_urls_in

__all__ = ["MlflowConnection", "is_unreachable", "mlflow_errors"]

_UNREACHABLE_CODES = frozenset({"TEMPORARILY_UNAVAILABLE"})
_DATABASES = frozenset({"postgresql", "mysql", "mssql"})
_PROBE_TIMEOUT_S = 10


def _probe(uri: str) -> None:
    """Raise at once when the registry's database or server cannot be reached.

    NB: MLflow retries creating its database engine ten times with exponential backoff (about 100 s,
    no setting shortens it) and an HTTP request seven times: a mistyped URI would hang every command
    for minutes before failing. One connection attempt of our own answers in milliseconds.
    """
    scheme = uri.partition(":")[0].lower()
    if scheme in ("http", "https"):
        import requests

        # Any answer, even 401 or 404, means a server is there; only no answer at all fails here. A
        # certificate we cannot verify is an answer too: trusting it is for MLflow's own settings.
        with contextlib.suppress(requests.exceptions.SSLError):
            requests.get(f"{uri.rstrip('/')}/health", timeout=_PROBE_TIMEOUT_S)
    elif scheme.partition("+")[0] in _DATABASES:
        import sqlalchemy

        is_postgres = scheme.startswith("postgresql")
        connect_args = {"connect_timeout": _PROBE_TIMEOUT_S} if is_postgres else {}
        engine = sqlalchemy.create_engine(uri, connect_args=connect_args, poolclass=sqlalchemy.pool.NullPool)
        try:
            with engine.connect():
                pass
        finally:
            engine.dispose()


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def is_unreachable(exc: BaseException) -> bool:
    """True when ``exc`` (or what caused it) says the registry's database or server could not be used."""
    import requests
    import sqlalchemy.exc
    from mlflow.exceptions import MlflowException

    for link in _chain(exc):
        if isinstance(link, sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError):
            return True
        if isinstance(link, requests.exceptions.ConnectionError | requests.exceptions.Timeout):
            return True
        if isinstance(link, MlflowException) and (
            link.error_code in _UNREACHABLE_CODES or str(link.message).startswith("API request to ")
        ):
            return True
    return False


def _first_line(exc: BaseException) -> str:
    message = getattr(exc, "message", None)  # MlflowException's own text, without its error code
    text = message if isinstance(message, str) else str(exc)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return mask_urls_in(lines[0] if lines else type(exc).__name__)


def _unreachable(uri: str, exc: BaseException) -> BackendError:
    # The innermost cause names the real problem ("database … does not exist"); MLflow's wrappers don't.
    root = list(_chain(exc))[-1]
    return BackendError(f"registry {mask_url(uri)} unreachable: {_first_line(root)}")


class _CheckedClient:
    """An ``MlflowClient`` whose every call turns "could not reach the registry" into ``BackendError``."""

    def __init__(self, client: Any, uri: str) -> None:
        self._client = client
        self._uri = uri

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if not callable(attr):
            return attr

        @functools.wraps(attr)
        def checked(*args: Any, **kwargs: Any) -> Any:
            try:
                return attr(*args, **kwargs)
            except ModelportError:
                raise
            except Exception as exc:
                if is_unreachable(exc):
                    raise _unreachable(self._uri, exc) from exc
                raise

        return checked


class MlflowConnection:
    """The registry URI and the MLflow client for it, built on first use (importing MLflow costs seconds)."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self._client: _CheckedClient | None = None

    @property
    def shown_uri(self) -> str:
        """The URI with any password masked: what may be printed, logged or written as JSON."""
        return mask_url(self.uri)

    @property
    def client(self) -> Any:
        if self._client is None:
            from mlflow import MlflowClient

            if self.uri.startswith("sqlite:///"):
                Path(self.uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            try:
                _probe(self.uri)
                # Opening a database store connects and runs MLflow's migrations right here.
                client = MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)
            except Exception as exc:
                if is_unreachable(exc):
                    raise _unreachable(self.uri, exc) from exc
                raise BackendError(f"registry {self.shown_uri}: {_first_line(exc)}") from exc
            self._client = _CheckedClient(client, self.uri)
        return self._client

    def check_reachable(self) -> None:
        """Raise ``BackendError`` (one line) at once when the database or server cannot be reached.

        One connection of our own, without importing MLflow: what ``serve`` checks before it binds its
        port, so a replica that would serve nothing fails instead.
        """
        try:
            _probe(self.uri)
        except Exception as exc:
            raise _unreachable(self.uri, exc) from exc

    def guarded(self, work: Callable[[], Any]) -> Any:
        """Run ``work`` (a call into ``mlflow.*`` outside the client) with the same failure mapping."""
        try:
            return work()
        except ModelportError:
            raise
        except Exception as exc:
            if is_unreachable(exc):
                raise _unreachable(self.uri, exc) from exc
            raise


@contextmanager
def mlflow_errors(what: str) -> Iterator[None]:
    """MLflow's "no" as modelport errors: a missing resource is ``ModelNotFound``, anything else ``BackendError``."""
    from mlflow.exceptions import MlflowException

    try:
        yield
    except ModelportError:
        raise
    except MlflowException as exc:
        if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
            raise ModelNotFound(f"{what}: {mask_urls_in(str(exc.message))}") from exc
        raise BackendError(f"{what}: {_first_line(exc)}") from exc
