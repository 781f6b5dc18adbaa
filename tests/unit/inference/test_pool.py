"""ModelPool: atomic swap, the previous version kept warm, pinned versions evicted least recently used."""

from __future__ import annotations

from typing import Any

import pytest

from modelport.errors import NotReady, VersionNotFound
from modelport.inference import DeploymentSpec, ModelPool, ServedVersion

SPEC = DeploymentSpec("credit", "credit_risk", "production")


def _version(version: str, model: str = "credit_risk") -> ServedVersion:
    # The pool never calls the model or the batcher: plain placeholders are enough here.
    placeholder: Any = object()
    return ServedVersion(model, version, placeholder, placeholder)


def test_not_ready_until_a_version_is_swapped_in() -> None:
    pool = ModelPool(SPEC)
    with pytest.raises(NotReady):
        pool.current()
    v1 = _version("1")
    assert pool.swap(v1) == []
    assert pool.current() is v1
    assert pool.ready


def test_swap_keeps_the_previous_version_and_drops_the_one_before() -> None:
    pool = ModelPool(SPEC)
    v1, v2, v3 = _version("1"), _version("2"), _version("3")
    pool.swap(v1)
    assert pool.swap(v2) == []
    assert (pool.active, pool.previous) == (v2, v1)
    assert pool.swap(v3) == [v1]
    assert (pool.active, pool.previous) == (v3, v2)


def test_rolling_back_to_the_previous_instance_drops_nothing() -> None:
    pool = ModelPool(SPEC)
    v1, v2 = _version("1"), _version("2")
    pool.swap(v1)
    pool.swap(v2)
    held = pool.loaded("1")
    assert held is v1
    assert pool.swap(held) == []
    assert (pool.active, pool.previous) == (v1, v2)


def test_swapping_in_the_active_version_is_a_no_op() -> None:
    pool = ModelPool(SPEC)
    v1 = _version("1")
    pool.swap(v1)
    assert pool.swap(v1) == []
    assert pool.previous is None


def test_a_version_of_another_model_is_refused() -> None:
    with pytest.raises(VersionNotFound):
        ModelPool(SPEC).swap(_version("1", model="other"))


def test_pinned_versions_are_evicted_least_recently_used() -> None:
    pool = ModelPool(SPEC, pinned_capacity=2)
    pool.swap(_version("1"))
    p2, p3, p4 = _version("2"), _version("3"), _version("4")
    assert pool.pin(p2) == []
    assert pool.pin(p3) == []
    assert pool.loaded("2") is p2  # touch 2: 3 is now the least recently used
    assert pool.pin(p4) == [p3]
    assert [(role, s.version) for role, s in pool.versions()] == [("active", "1"), ("pinned", "2"), ("pinned", "4")]


def test_promoting_a_pinned_version_moves_it_to_active() -> None:
    pool = ModelPool(SPEC)
    v1, v2 = _version("1"), _version("2")
    pool.swap(v1)
    pool.pin(v2)
    pool.swap(v2)
    assert [(role, s.version) for role, s in pool.versions()] == [("active", "2"), ("previous", "1")]


def test_drain_returns_everything_held() -> None:
    pool = ModelPool(SPEC)
    v1, v2, v3 = _version("1"), _version("2"), _version("3")
    pool.swap(v1)
    pool.swap(v2)
    pool.pin(v3)
    assert set(map(id, pool.drain())) == {id(v1), id(v2), id(v3)}
    assert not pool.ready
