"""What every route of one app shares: the data plane, the key checks, the limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from modelport.inference.codecs import loads
from modelport.serving.body import read_body

if TYPE_CHECKING:
    from starlette.requests import Request

    from modelport.inference import DataPlane, Prediction, ServingMetrics
    from modelport.serving.auth import Authenticator, Scope
    from modelport.settings import ServingSettings

__all__ = ["ServingContext", "version_headers"]


@dataclass
class ServingContext:
    """Built once per app by ``create_app``; routes close over it (no lookups on the hot path)."""

    plane: DataPlane
    auth: Authenticator
    metrics: ServingMetrics
    settings: ServingSettings
    started: datetime = field(default_factory=lambda: datetime.now(UTC))

    async def allow(self, request: Request, scope: Scope) -> None:
        """Raise ``Unauthorized``/``Forbidden`` unless the request may use ``scope``."""
        await self.auth.check(request.headers, scope)

    async def body(self, request: Request) -> bytes:
        return await read_body(request, self.settings.max_body_bytes, timeout_s=self.settings.body_timeout_s)

    async def json(self, request: Request) -> Any:
        return loads(await self.body(request))


def version_headers(prediction: Prediction) -> dict[str, str]:
    """Headers naming what answered, on every prediction of every protocol."""
    served = prediction.served
    return {
        "x-modelport-deployment": prediction.deployment,
        "x-modelport-variant": prediction.variant,
        "x-model-name": served.model_name,
        "x-model-version": served.version,
    }
