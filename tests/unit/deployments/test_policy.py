"""Policies as values: validation, JSON round trips, weights and stickiness without a server."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

import modelport
from modelport.deployments import (
    ABPolicy,
    BlueGreenPolicy,
    CanaryPolicy,
    CanaryThresholds,
    KeySource,
    Policy,
    ShadowPolicy,
    SinglePolicy,
    Variant,
    bucket,
    policy_from_json,
)
from modelport.errors import InvalidRequest

KEYS = [f"user-{i}" for i in range(20_000)]


def _ab(*weights: float, salt: str = "exp-1") -> ABPolicy:
    arms = tuple(Variant(chr(65 + i), i + 1, w) for i, w in enumerate(weights))
    return ABPolicy(arms=arms, salt=salt, key=KeySource.parse("header:X-User-Id"))


ALL: list[Policy] = [
    SinglePolicy(),
    BlueGreenPolicy(blue=1, green=2, live="green"),
    CanaryPolicy(stable=1, candidate=2, salt="s", steps=(10, 100), step=1, thresholds=CanaryThresholds(0.02, 80, 50)),
    _ab(20, 30, 50),
    ShadowPolicy(primary=1, shadow=3, salt="s", sample=0.5),
]


@pytest.mark.parametrize("policy", ALL, ids=lambda p: p.kind)
def test_every_policy_survives_its_stored_json(policy: Policy) -> None:
    assert policy_from_json(policy.to_json()) == policy


def test_the_split_follows_the_weights_within_two_points() -> None:
    counts = Counter(_ab(20, 30, 50).choose(k).name for k in KEYS)
    shares = {name: n / len(KEYS) for name, n in counts.items()}
    assert shares == pytest.approx({"A": 0.2, "B": 0.3, "C": 0.5}, abs=0.02)


def test_a_zero_weight_variant_gets_nothing() -> None:
    assert {_ab(0, 100).choose(k).name for k in KEYS[:2000]} == {"B"}


def test_the_same_key_gets_the_same_variant_from_a_fresh_process() -> None:
    """Stickiness may not depend on per-process state (Python's salted hash() would break it)."""
    policy = _ab(50, 50)
    here = [policy.choose(k).name for k in KEYS[:300]]
    script = (
        "from modelport.deployments import policy_from_json; import json, sys; "
        "p = policy_from_json(json.loads(sys.argv[1])); "
        "print(''.join(p.choose(f'user-{i}').name for i in range(300)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, json.dumps(policy.to_json())],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PYTHONPATH": str(Path(modelport.__file__).parents[1])},
    )
    assert out.stdout.strip() == "".join(here)
    assert set(here) == {"A", "B"}


def test_different_salts_split_users_independently() -> None:
    one, two = _ab(50, 50, salt="exp-1"), _ab(50, 50, salt="exp-2")
    same = sum(one.choose(k) == two.choose(k) for k in KEYS) / len(KEYS)
    assert same == pytest.approx(0.5, abs=0.02)


def test_buckets_are_uniform() -> None:
    points = [bucket("salt", k) for k in KEYS]
    deciles = Counter(int(p * 10) for p in points)
    assert all(abs(n / len(KEYS) - 0.1) < 0.01 for n in deciles.values())
    assert all(0.0 <= p < 1.0 for p in points)


def test_a_canary_key_on_the_candidate_stays_there_as_the_weight_grows() -> None:
    policy = CanaryPolicy(stable=1, candidate=2, salt="c", steps=(5, 25, 50, 100))
    chosen = []
    while True:
        chosen.append({k for k in KEYS if policy.choose(k).name == "canary"})
        if policy.last_step:
            break
        policy = policy.advanced()
    assert all(a <= b for a, b in itertools.pairwise(chosen))
    assert [round(len(c) / len(KEYS), 2) for c in chosen] == pytest.approx([0.05, 0.25, 0.5, 1.0], abs=0.015)
    with pytest.raises(InvalidRequest, match="last step"):
        policy.advanced()


def test_blue_green_switch_flips_and_keeps_both_versions_loaded() -> None:
    policy = BlueGreenPolicy(blue=4, green=5, live="blue")
    assert policy.choose("anyone").version == 4
    flipped = policy.switched()
    assert flipped.choose("anyone").version == 5
    assert {v.version for v in flipped.variants} == {4, 5}
    assert flipped.switched() == policy


def test_shadow_users_get_the_primary_and_a_sample_is_mirrored() -> None:
    policy = ShadowPolicy(primary=1, shadow=2, salt="s", sample=0.25)
    assert {policy.choose(k).version for k in KEYS[:1000]} == {1}
    mirrored = sum(policy.mirror(k) is not None for k in KEYS) / len(KEYS)
    assert mirrored == pytest.approx(0.25, abs=0.02)
    assert SinglePolicy().mirror("k") is None


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: CanaryPolicy(stable=1, candidate=1, salt="s"), "differ"),
        (lambda: CanaryPolicy(stable=1, candidate=2, salt="s", steps=(5, 50)), "last step must be 100"),
        (lambda: CanaryPolicy(stable=1, candidate=2, salt="s", steps=(50, 25, 100)), "increasing"),
        (lambda: CanaryThresholds(max_error_rate=2), "max_error_rate"),
        (lambda: ABPolicy(arms=(Variant("A", 1),), salt="s"), "at least two"),
        (lambda: ABPolicy(arms=(Variant("A", 1), Variant("A", 2)), salt="s"), "unique"),
        (lambda: ABPolicy(arms=(Variant("A", 1), Variant("B", 1)), salt="s"), "its own version"),
        (lambda: ABPolicy(arms=(Variant("A", 1, 0), Variant("B", 2, 0)), salt="s"), "positive"),
        (lambda: BlueGreenPolicy(blue=0, green=2), "version number"),
        (lambda: ShadowPolicy(primary=1, shadow=2, salt="s", sample=0), "sample"),
        (lambda: KeySource.parse("cookie:x"), "header:NAME"),
        (lambda: policy_from_json({"kind": "mystery"}), "unknown policy kind"),
        (lambda: policy_from_json({"kind": "canary", "stable": 1}), "malformed"),
    ],
)
def test_invalid_policies_are_refused_with_a_clear_error(build: object, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        build()  # type: ignore[operator]


def test_key_sources_parse_both_forms() -> None:
    assert KeySource.parse("header:X-User-Id") == KeySource("header", "X-User-Id")
    assert str(KeySource.parse("field: user_id")) == "field:user_id"
