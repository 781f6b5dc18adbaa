"""Packaging for production: a container image, a compose stack and Kubernetes manifests.

Every generator is pure (a spec in, file texts out); ``modelport package`` writes them.
"""

from __future__ import annotations

from modelport.package.checks import manifest_problems
from modelport.package.cluster import PRODUCTION, STAGING, ClusterSpec, Overlay, Sizing
from modelport.package.commands import MlflowServerSpec, StreamWorkerSpec, k8s_name, mlflow_server_args
from modelport.package.compose import ComposeSpec, compose_document, env_file, render_compose
from modelport.package.image import ImageSpec, check_image, dockerfile, render_image
from modelport.package.kustomize import render_k8s
from modelport.package.lock import Installed, installed_distributions, pinned_requirements, provided_extras
from modelport.package.manifests import base_objects

__all__ = [
    "PRODUCTION",
    "STAGING",
    "ClusterSpec",
    "ComposeSpec",
    "ImageSpec",
    "Installed",
    "MlflowServerSpec",
    "Overlay",
    "Sizing",
    "StreamWorkerSpec",
    "base_objects",
    "check_image",
    "compose_document",
    "dockerfile",
    "env_file",
    "installed_distributions",
    "k8s_name",
    "manifest_problems",
    "mlflow_server_args",
    "pinned_requirements",
    "provided_extras",
    "render_compose",
    "render_image",
    "render_k8s",
]
