"""``Registry.local_version``: answered from modelport's records and cache without MLflow when it can."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from modelport.errors import VersionNotFound
from modelport.registry import Registry
from modelport.settings import Settings

_PROBE = """
import sys
from modelport.registry import Registry
from modelport.settings import Settings
registry = Registry.open(Settings(home=sys.argv[1]))
ref, folder = registry.local_version(sys.argv[2])
print(ref.version, folder.name.split("-")[0], "mlflow" in sys.modules)
"""


def _probe(home: Path, ref: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", _PROBE, str(home), ref], capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_cached_versions_resolve_without_importing_mlflow(demo_home: Path) -> None:
    registry = Registry.open(Settings(home=demo_home))
    registry.local_model_dir("credit_risk", 2)  # downloaded once
    assert _probe(demo_home, "credit_risk/2") == ["2", "2", "False"]
    # not cached yet: the same call goes through MLflow, and caches it for next time
    assert _probe(demo_home, "credit_risk@production") == ["1", "1", "True"]
    assert _probe(demo_home, "credit_risk@production") == ["1", "1", "False"]


def test_local_version_follows_promotions_and_deletions(demo_home: Path) -> None:
    registry = Registry.open(Settings(home=demo_home))
    assert registry.local_version("credit_risk")[0].version == 1
    registry.promote("credit_risk", 2, actor="tester")
    ref, folder = registry.local_version("credit_risk@production")
    assert (ref.version, ref.alias) == (2, "production")
    assert (folder / "MLmodel").is_file()
    registry.rollback("credit_risk", actor="tester")
    assert registry.local_version("credit_risk")[0].version == 1
    registry.delete("credit_risk", 2, actor="tester")
    with pytest.raises(VersionNotFound):
        registry.local_version("credit_risk/2")  # still on disk, but deleted: never served from the cache
