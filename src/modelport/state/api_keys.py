"""API key secrets: generation and hashing (not to be confused with ``deployments/keys.py``,
the request keys that sticky routing hashes).

Tokens carry 256 bits of randomness, so a single SHA-256 is enough to make a stolen table useless
(no dictionary to attack) while keeping verification in microseconds on the request path.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["PREFIX_LEN", "hash_token", "new_token", "token_matches"]

PREFIX_LEN = 11  # "mp_" + 8 characters: shown in listings, used to find candidate rows


def new_token() -> str:
    return "mp_" + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_token(token), stored_hash)
