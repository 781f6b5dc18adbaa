"""Authenticator: scopes, both header spellings, the verification cache and its expiry."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from modelport.errors import Forbidden, Unauthorized
from modelport.serving import Authenticator
from modelport.serving.auth import is_loopback


@dataclass
class Key:
    name: str
    scope: str


class Keys:
    """An in-memory key table: the verify function the state store provides, and a call counter."""

    def __init__(self) -> None:
        self.table = {"p-token": Key("app", "predict"), "a-token": Key("ops", "admin")}
        self.calls = 0

    def verify(self, token: str) -> Key | None:
        self.calls += 1
        return self.table.get(token)


def _check(auth: Authenticator, headers: dict[str, str], scope: str) -> object:
    return asyncio.run(auth.check(headers, scope))  # type: ignore[arg-type]


def test_scopes_and_header_spellings() -> None:
    keys = Keys()
    auth = Authenticator(keys.verify, predict_requires_key=True)
    assert _check(auth, {"authorization": "Bearer p-token"}, "predict") == Key("app", "predict")
    assert _check(auth, {"x-api-key": "a-token"}, "admin") == Key("ops", "admin")
    assert _check(auth, {"authorization": "bearer a-token"}, "predict") == Key("ops", "admin")
    with pytest.raises(Forbidden):
        _check(auth, {"x-api-key": "p-token"}, "admin")
    with pytest.raises(Unauthorized):
        _check(auth, {"authorization": "Basic p-token"}, "predict")
    with pytest.raises(Unauthorized):
        _check(auth, {}, "predict")


def test_predict_without_key_only_when_not_required() -> None:
    auth = Authenticator(Keys().verify, predict_requires_key=False)
    assert _check(auth, {}, "predict") is None
    with pytest.raises(Unauthorized):
        _check(auth, {}, "admin")


def test_no_key_store_means_no_valid_key() -> None:
    auth = Authenticator(None, predict_requires_key=False)
    with pytest.raises(Unauthorized):
        _check(auth, {"x-api-key": "a-token"}, "admin")


def test_verified_keys_are_cached_until_the_delay_passes() -> None:
    keys = Keys()
    now = [100.0]
    auth = Authenticator(keys.verify, predict_requires_key=True, cache_s=5.0, clock=lambda: now[0])
    _check(auth, {"x-api-key": "p-token"}, "predict")
    _check(auth, {"x-api-key": "p-token"}, "predict")
    assert keys.calls == 1
    del keys.table["p-token"]  # revoked
    now[0] += 5.1
    with pytest.raises(Unauthorized):
        _check(auth, {"x-api-key": "p-token"}, "predict")
    assert keys.calls == 2


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("localhost", True), ("0.0.0.0", False),
     ("10.0.0.5", False), ("example.com", False)],
)  # fmt: skip
def test_loopback_detection(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
