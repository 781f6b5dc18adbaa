"""modelport: take trained ML models from a registry to production and keep them safe there."""

__version__ = "0.1.0"
