"""Request limits: the one owner of "how many rows may one request carry".

Front ends bound bytes (an HTTP body, a stream message); rows are counted here, once the body is
decoded, whatever the protocol. The data plane calls ``check_rows`` before parsing when the
decoder knew the count, and always on the parsed features.
"""

from __future__ import annotations

from dataclasses import dataclass

from modelport.errors import InvalidInput, PayloadTooLarge
from modelport.model_format import BadRow

__all__ = ["RequestLimits"]


@dataclass(frozen=True)
class RequestLimits:
    """``max_rows`` rows per request at most, and at least one."""

    max_rows: int = 10_000

    def check_rows(self, n_rows: int) -> None:
        """``PayloadTooLarge`` (413) above the limit, ``InvalidInput`` (422) for no rows."""
        if n_rows > self.max_rows:
            raise PayloadTooLarge(
                f"{n_rows} rows in one request; the limit is {self.max_rows}",
                details=[BadRow(None, None, f"more than {self.max_rows} rows")],
            )
        if n_rows == 0:
            raise InvalidInput("the request has no rows", details=[BadRow(None, None, "no rows")])
