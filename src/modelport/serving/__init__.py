"""Online serving over HTTP: the FastAPI adapters of the data plane (``modelport.inference``).

Only this package imports FastAPI, Starlette and uvicorn. ``create_app`` builds the app of one
process over a ``Node``; ``run_server`` runs it under uvicorn with N workers on one port.
"""

from modelport.serving.app import create_app
from modelport.serving.auth import Authenticator
from modelport.serving.server import run_server
from modelport.serving.status import STATUS_BY_ERROR, status_for

__all__ = ["STATUS_BY_ERROR", "Authenticator", "create_app", "run_server", "status_for"]
