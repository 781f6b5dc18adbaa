"""Online serving: a transport-free core (model pools, follower, data plane) and thin REST adapters.

Only this package imports FastAPI. ``create_app`` builds the app of one process; ``run_server``
runs it under uvicorn with N workers on one port.
"""

from modelport.serving.app import create_app
from modelport.serving.auth import Authenticator
from modelport.serving.catalog import Catalog, DeploymentSpec, MemoryCatalog, RegistryCatalog
from modelport.serving.dataplane import DataPlane, ModelLoader, Prediction
from modelport.serving.follower import Follower
from modelport.serving.metrics import ServingMetrics
from modelport.serving.pool import LoadFailure, ModelPool, ServedVersion
from modelport.serving.status import STATUS_BY_ERROR, status_for

__all__ = [
    "STATUS_BY_ERROR",
    "Authenticator",
    "Catalog",
    "DataPlane",
    "DeploymentSpec",
    "Follower",
    "LoadFailure",
    "MemoryCatalog",
    "ModelLoader",
    "ModelPool",
    "Prediction",
    "RegistryCatalog",
    "ServedVersion",
    "ServingMetrics",
    "create_app",
    "status_for",
]
