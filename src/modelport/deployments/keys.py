"""Sticky assignment: a request key hashed to a point in [0, 1), the same on every replica forever.

BLAKE2b of ``salt + key`` — never Python's ``hash()``, which is salted per process — so a key lands
in the same bucket on every replica and after every restart. The salt is stored with the policy:
two experiments on one deployment split users independently, while the steps of one canary keep
their salt, so a user who saw the candidate at 5 % still sees it at 25 %. Requests without a key
are keyed by their request id (random), which spreads them uniformly.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from modelport.errors import InvalidRequest

__all__ = ["DEFAULT_KEY_HEADER", "KeySource", "bucket"]

DEFAULT_KEY_HEADER = "X-Modelport-Key"


def bucket(salt: str, key: str) -> float:
    """A uniform, stable point in [0, 1) for ``key`` under ``salt``."""
    digest = hashlib.blake2b(salt.encode("utf-8") + b"\0" + key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@dataclass(frozen=True, slots=True)
class KeySource:
    """Where a request's sticky key comes from: a header or a field of the input record."""

    kind: Literal["header", "field"] = "header"
    name: str = DEFAULT_KEY_HEADER

    @classmethod
    def parse(cls, text: str) -> KeySource:
        """``header:X-User-Id`` or ``field:user_id``."""
        kind, sep, name = text.partition(":")
        if not sep or kind not in ("header", "field") or not name.strip():
            raise InvalidRequest(f"invalid key source {text!r}: use header:NAME or field:NAME")
        return cls("header" if kind == "header" else "field", name.strip())

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"
