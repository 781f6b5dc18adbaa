"""MLflow-backed model registry with promote / rollback and an audit history."""

from modelport.registry.names import DEFAULT_ALIAS, normalize_alias, parse_ref
from modelport.registry.registry import Registry
from modelport.registry.samples import SAMPLE_FILENAME, read_sample

__all__ = ["DEFAULT_ALIAS", "SAMPLE_FILENAME", "Registry", "normalize_alias", "parse_ref", "read_sample"]
