"""The one error hierarchy of modelport.

Every error a user can cause or meet is a ``ModelportError`` with a stable ``code``
(a string scripts may rely on) and a CLI ``exit_code``. Transports map these classes
to their own vocabulary: ``serving/`` maps them to HTTP statuses in one table, ``cli/``
prints ``error[code]: message`` and exits with ``exit_code``.

    ModelportError
    ├── NotFound                      (exit 3)
    │   ├── ModelNotFound
    │   ├── VersionNotFound
    │   ├── AliasNotFound
    │   ├── DeploymentNotFound
    │   └── NoReference               a version without a registration sample to measure drift against
    ├── InvalidRequest                (exit 2)
    │   ├── InvalidSource             a file that is not a model we can load
    │   ├── InvalidSample             a sample file we cannot read or use
    │   ├── MissingSignature          no signature and no sample to infer one
    │   ├── InvalidAlias
    │   ├── InvalidInput              rows that violate a model's signature (carries details)
    │   ├── UnsupportedMediaType
    │   ├── PayloadTooLarge
    │   ├── RequestTimeout            a request body that stopped arriving
    │   ├── InvalidField              a request field of the wrong type or out of range (carries details)
    │   ├── InvalidSettings           a MODELPORT_* variable or option that does not validate
    │   ├── MissingExtra              a feature whose optional dependencies are not installed
    │   ├── QuantizationUnsupported   a graph with no weights onnxruntime can quantize
    │   └── BundleInvalid             an edge bundle that fails verification (hash, signature, golden vectors)
    ├── Conflict                      (exit 4)
    │   ├── VersionInUse              delete of a version an alias points at
    │   ├── AddressInUse              a port another process is listening on
    │   ├── NothingToRollBack
    │   ├── AlreadyExists
    │   ├── RolloutConflict
    │   └── ParityFailed              an export whose outputs miss the original model's by more than allowed
    ├── AuthError                     (exit 5)
    │   ├── Unauthorized              no or unknown credentials
    │   └── Forbidden                 credentials without the needed scope
    │       └── CsrfRejected          a form posted without this server's CSRF token, or from another site
    ├── NotReady                      (exit 6)
    └── BackendError                  (exit 7) a registry or store we could not talk to
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Protocol

__all__ = [
    "AddressInUse",
    "AliasNotFound",
    "AlreadyExists",
    "AuthError",
    "BackendError",
    "BundleInvalid",
    "Conflict",
    "CsrfRejected",
    "DeploymentNotFound",
    "Detail",
    "Forbidden",
    "InvalidAlias",
    "InvalidField",
    "InvalidInput",
    "InvalidRequest",
    "InvalidSample",
    "InvalidSettings",
    "InvalidSource",
    "MissingExtra",
    "MissingSignature",
    "ModelNotFound",
    "ModelportError",
    "NoReference",
    "NotFound",
    "NotReady",
    "NothingToRollBack",
    "ParityFailed",
    "PayloadTooLarge",
    "QuantizationUnsupported",
    "RequestTimeout",
    "RolloutConflict",
    "Unauthorized",
    "UnsupportedMediaType",
    "VersionInUse",
    "VersionNotFound",
]


class Detail(Protocol):
    """A detail that knows its JSON form (``model_format.BadRow`` is the one for bad input rows)."""

    def to_dict(self) -> dict[str, Any]: ...


class ModelportError(Exception):
    """Base of every error modelport raises on purpose."""

    code: ClassVar[str] = "modelport_error"
    exit_code: ClassVar[int] = 1

    def __init__(self, message: str, *, details: Sequence[Mapping[str, Any] | Detail] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: list[dict[str, Any]] = [dict(d) if isinstance(d, Mapping) else d.to_dict() for d in details or ()]

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class NotFound(ModelportError):
    code = "not_found"
    exit_code = 3


class ModelNotFound(NotFound):
    code = "model_not_found"


class VersionNotFound(NotFound):
    code = "version_not_found"


class AliasNotFound(NotFound):
    code = "alias_not_found"


class DeploymentNotFound(NotFound):
    code = "deployment_not_found"


class NoReference(NotFound):
    code = "no_reference"


class InvalidRequest(ModelportError):
    code = "invalid_request"
    exit_code = 2


class InvalidSource(InvalidRequest):
    code = "invalid_source"


class InvalidSample(InvalidRequest):
    code = "invalid_sample"


class MissingSignature(InvalidRequest):
    code = "missing_signature"


class InvalidAlias(InvalidRequest):
    code = "invalid_alias"


class InvalidInput(InvalidRequest):
    """Rows that violate a model's signature; ``details`` are ``model_format.BadRow``s as dicts."""

    code = "invalid_input"


class UnsupportedMediaType(InvalidRequest):
    code = "unsupported_media_type"


class PayloadTooLarge(InvalidRequest):
    code = "payload_too_large"


class RequestTimeout(InvalidRequest):
    code = "request_timeout"


class InvalidField(InvalidRequest):
    """A body field or query parameter of the wrong type or out of range; ``details`` name each field."""

    code = "invalid_field"


class QuantizationUnsupported(InvalidRequest):
    code = "quantization_unsupported"


class BundleInvalid(InvalidRequest):
    code = "bundle_invalid"


class InvalidSettings(InvalidRequest):
    code = "invalid_settings"


class MissingExtra(InvalidRequest):
    code = "missing_extra"


class Conflict(ModelportError):
    code = "conflict"
    exit_code = 4


class AddressInUse(Conflict):
    code = "address_in_use"


class VersionInUse(Conflict):
    code = "version_in_use"


class NothingToRollBack(Conflict):
    code = "nothing_to_roll_back"


class AlreadyExists(Conflict):
    code = "already_exists"


class RolloutConflict(Conflict):
    code = "rollout_conflict"


class ParityFailed(Conflict):
    code = "parity_failed"


class AuthError(ModelportError):
    code = "auth_error"
    exit_code = 5


class Unauthorized(AuthError):
    code = "unauthorized"


class Forbidden(AuthError):
    code = "forbidden"


class CsrfRejected(Forbidden):
    code = "csrf_rejected"


class NotReady(ModelportError):
    code = "not_ready"
    exit_code = 6


class BackendError(ModelportError):
    code = "backend_error"
    exit_code = 7
