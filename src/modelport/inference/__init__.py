"""The data plane, transport-free: what every front end (HTTP, streams, embedding programs) drives.

``Node`` builds one data-plane process from ``Settings`` (store, registry, catalog, loader, rollout
agent, follower, listener); ``DataPlane.predict`` answers an ``InferenceInput`` made by one of the
``codecs``; ``Catalog`` is where the plane learns what to serve. Nothing here imports a web framework
(``make lint`` checks it).
"""

from modelport.inference.budget import RowBudget
from modelport.inference.catalog import Catalog, DeploymentSpec, MemoryCatalog, RegistryCatalog
from modelport.inference.context import current_request_id, request_id_var
from modelport.inference.dataplane import DataPlane
from modelport.inference.drift import DriftMonitor, DriftReport, FeatureDrift
from modelport.inference.follower import Follower
from modelport.inference.limits import RequestLimits
from modelport.inference.metrics import ServingMetrics
from modelport.inference.node import Node
from modelport.inference.pool import LoadFailure, ModelPool, ServedVersion
from modelport.inference.prediction import InferenceInput, ModelLoader, Parse, Prediction, PredictionObserver
from modelport.inference.predictionlog import LogEntry, PredictionLog, read_log

__all__ = [
    "Catalog",
    "DataPlane",
    "DeploymentSpec",
    "DriftMonitor",
    "DriftReport",
    "FeatureDrift",
    "Follower",
    "InferenceInput",
    "LoadFailure",
    "LogEntry",
    "MemoryCatalog",
    "ModelLoader",
    "ModelPool",
    "Node",
    "Parse",
    "Prediction",
    "PredictionLog",
    "PredictionObserver",
    "RegistryCatalog",
    "RequestLimits",
    "RowBudget",
    "ServedVersion",
    "ServingMetrics",
    "current_request_id",
    "read_log",
    "request_id_var",
]
