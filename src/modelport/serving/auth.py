"""API-key checks for the REST routes: who may predict, who may administer.

Keys live hashed in the state store (``StateStore.verify_api_key`` compares in constant time).
A verified key is remembered for ``key_cache_s`` seconds, keyed by a hash of the token, so the hot
path does not query the database on every request; a revoked key stops working within that delay.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from modelport.errors import Forbidden, Unauthorized

__all__ = ["Authenticator", "Caller", "KeyRecord", "Scope", "is_loopback"]

Scope = Literal["predict", "admin"]

_CACHE_MAX = 1024


class KeyRecord(Protocol):
    """What the server needs of a stored API key (``state.ApiKey`` has it)."""

    @property
    def name(self) -> str: ...

    @property
    def scope(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Caller:
    """Who made an authenticated request: the verified API key's name, recorded as the actor of its changes."""

    name: str
    scope: str


class Authenticator:
    """Decide whether a request's credentials grant a scope; raise ``Unauthorized``/``Forbidden``."""

    def __init__(
        self,
        verify: Callable[[str], KeyRecord | None] | None,
        *,
        predict_requires_key: bool,
        cache_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._verify = verify
        self.predict_requires_key = predict_requires_key
        self._cache_s = cache_s
        self._clock = clock
        self._cache: dict[bytes, tuple[float, KeyRecord | None]] = {}

    async def check(self, headers: Mapping[str, str], scope: Scope) -> KeyRecord | None:
        """The key granting ``scope``, or None for predict when no key is required."""
        token = _token(headers)
        if token is None:
            if scope == "predict" and not self.predict_requires_key:
                return None
            raise Unauthorized(
                f"this route needs an API key with scope {scope!r}: "
                "send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
            )
        key = await self._lookup(token)
        if key is None:
            raise Unauthorized("unknown or revoked API key")
        if scope == "admin" and key.scope != "admin":
            raise Forbidden(f"API key {key.name!r} has scope {key.scope!r}; this route needs 'admin'")
        return key

    async def admin(self, headers: Mapping[str, str]) -> Caller:
        """The caller behind an admin request (its key's name); ``Unauthorized``/``Forbidden`` otherwise."""
        key = await self.check(headers, "admin")
        if key is None:  # check() never grants admin without a key; kept explicit rather than asserted
            raise Unauthorized("this route needs an API key with scope 'admin'")
        return Caller(name=key.name, scope=key.scope)

    async def _lookup(self, token: str) -> KeyRecord | None:
        if self._verify is None:
            return None  # no key store: no key can be valid
        digest = hashlib.sha256(token.encode()).digest()
        now = self._clock()
        cached = self._cache.get(digest)
        if cached is not None and cached[0] > now:
            return cached[1]
        key = await asyncio.to_thread(self._verify, token)
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        self._cache[digest] = (now + self._cache_s, key)
        return key


def _token(headers: Mapping[str, str]) -> str | None:
    auth = headers.get("authorization")
    if auth is not None:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    key = headers.get("x-api-key")
    return key.strip() if key and key.strip() else None


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
