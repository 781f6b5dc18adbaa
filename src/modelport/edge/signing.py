"""Ed25519 signatures over ``manifest.json``, so a device can refuse a bundle it did not get from you.

The manifest holds the sha256 of every other file, so signing it signs the whole bundle. The
signature is ``manifest.sig`` (base64 of the 64 raw bytes). Keys are PEM files, the format
``openssl genpkey -algorithm ed25519`` writes, or ``modelport edge keygen``.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from modelport.errors import BundleInvalid, InvalidRequest

__all__ = ["SIGNATURE_FILE", "generate_keypair", "sign_manifest", "verify_signature"]

SIGNATURE_FILE = "manifest.sig"
_MAX_KEY_BYTES = 16 * 1024


def _read_key(path: Path) -> bytes:
    try:
        if path.stat().st_size > _MAX_KEY_BYTES:
            raise InvalidRequest(f"{path}: too large for a key file")
        return path.read_bytes()
    except OSError as exc:
        raise InvalidRequest(f"cannot read key {path}: {exc.strerror or exc}") from exc


def sign_manifest(manifest: bytes, private_key: Path) -> str:
    """The base64 Ed25519 signature of ``manifest`` with the PEM private key in ``private_key``."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(_read_key(private_key), password=None)
    except (ValueError, TypeError) as exc:
        raise InvalidRequest(f"{private_key}: not an unencrypted PEM private key ({exc})") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidRequest(f"{private_key}: not an Ed25519 key")
    return base64.b64encode(key.sign(manifest)).decode("ascii")


def verify_signature(manifest: bytes, signature: str, public_key: Path) -> None:
    """Raise :class:`BundleInvalid` unless ``signature`` is ``public_key``'s signature of ``manifest``."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        key = load_pem_public_key(_read_key(public_key))
    except (ValueError, TypeError) as exc:
        raise InvalidRequest(f"{public_key}: not a PEM public key ({exc})") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidRequest(f"{public_key}: not an Ed25519 key")
    try:
        key.verify(base64.b64decode(signature, validate=True), manifest)
    except (InvalidSignature, binascii.Error, ValueError):
        raise BundleInvalid(f"the manifest signature does not verify with {public_key.name}") from None


def generate_keypair(private_key: Path, public_key: Path) -> None:
    """Write a new Ed25519 key pair as PEM; the private key is readable by its owner only."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    for path in (private_key, public_key):
        if path.exists():
            raise InvalidRequest(f"{path} exists: refusing to overwrite a key")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(private_key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    public_key.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
