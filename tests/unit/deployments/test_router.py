"""Routing by the policy table: versions to load, fallback and mirror targets, sticky keys from requests."""

from __future__ import annotations

from datetime import UTC, datetime

from modelport.deployments import (
    ABPolicy,
    CanaryPolicy,
    KeySource,
    Policy,
    PolicyTable,
    ShadowPolicy,
    Variant,
    request_key,
)
from modelport.state import PolicyRevision


def _table(**policies: Policy) -> PolicyTable:
    table = PolicyTable()
    now = datetime.now(UTC)
    table.load(
        {
            name: PolicyRevision(i + 1, name, now, "me", p.kind, p.to_json(), None, None)
            for i, (name, p) in enumerate(policies.items())
        }
    )
    return table


def test_a_deployment_without_a_policy_follows_its_alias() -> None:
    route = PolicyTable().route("credit", 7, "req-1")
    assert (route.revision, route.variant, route.version, route.fallback, route.mirror) == (0, "primary", 7, None, None)
    assert PolicyTable().versions("credit", 7) == {7}


def test_canary_routes_carry_the_stable_fallback_only_on_the_candidate() -> None:
    table = _table(credit=CanaryPolicy(stable=1, candidate=2, salt="s", steps=(50, 100)))
    routes = [table.route("credit", 1, f"k{i}") for i in range(400)]
    assert {(r.version, r.fallback) for r in routes} == {(1, None), (2, 1)}
    assert table.versions("credit", 1) == {1, 2}
    no_fallback = _table(credit=CanaryPolicy(stable=1, candidate=2, salt="s", steps=(100,), fallback=False))
    assert no_fallback.route("credit", 1, "k").fallback is None


def test_shadow_routes_answer_with_the_primary_and_mirror_to_the_shadow() -> None:
    table = _table(credit=ShadowPolicy(primary=3, shadow=4, salt="s"))
    route = table.route("credit", 3, "k")
    assert (route.version, route.mirror, route.revision) == (3, 4, 1)
    assert table.versions("credit", 3) == {3, 4}


def test_request_keys_come_from_the_named_header_or_field() -> None:
    by_header = ABPolicy(arms=(Variant("A", 1), Variant("B", 2)), salt="s", key=KeySource.parse("header:X-User-Id"))
    assert request_key(by_header, {"x-user-id": "u1"}, None) == "u1"
    assert request_key(by_header, {"x-other": "u1"}, {"X-User-Id": "u2"}) is None
    by_field = ABPolicy(arms=(Variant("A", 1), Variant("B", 2)), salt="s", key=KeySource.parse("field:user_id"))
    assert request_key(by_field, {}, {"user_id": 42}) == "42"
    assert request_key(by_field, {}, {"age": 3}) is None
