"""What the browser-facing routes (``/ui``) need beyond the API's: forms with CSRF checks, cookies, headers.

A form is read only after the CSRF checks: a cross-site ``Sec-Fetch-Site`` or ``Origin`` is refused
outright, and the form's ``csrf`` field must equal the ``modelport_csrf`` cookie (double submit: a
page of another site can neither read that cookie nor set it, SameSite=Strict). Cookies are
HttpOnly, SameSite=Strict, limited to ``/ui``, and Secure behind HTTPS.
"""

from __future__ import annotations

import hmac
from urllib.parse import parse_qs, urlsplit

from starlette.requests import Request
from starlette.responses import Response

from modelport.errors import CsrfRejected, InvalidRequest

__all__ = ["CSRF_COOKIE", "HEADERS", "KEY_COOKIE", "read_form", "set_cookie"]

KEY_COOKIE = "modelport_key"
"""The API key a browser signed in with (never rendered into a page)."""
CSRF_COOKIE = "modelport_csrf"
_MAX_FORM_BYTES = 4096

HEADERS = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",  # "no-referrer" makes Chromium send "Origin: null" on our own forms
    "cache-control": "no-store",
}
"""Sent with every page: the browser loads and fetches from this server only, nothing is cached."""


async def read_form(request: Request) -> dict[str, str]:
    """The url-encoded form of a POST, after the CSRF checks (``CsrfRejected`` otherwise)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise CsrfRejected(f"a {site} request cannot change anything here")
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
        raise CsrfRejected("the request comes from another origin")
    body = await request.body()
    if len(body) > _MAX_FORM_BYTES:
        raise InvalidRequest(f"the form is larger than {_MAX_FORM_BYTES} bytes")
    try:
        fields = parse_qs(body.decode(), max_num_fields=8, strict_parsing=False)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidRequest(f"unreadable form: {exc}") from exc
    form = {k: v[0].strip() for k, v in fields.items() if v}
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), form.get("csrf", "").encode()):
        raise CsrfRejected("the form's CSRF token is missing or stale: reload the page and try again")
    return form


def set_cookie(response: Response, request: Request, name: str, value: str) -> None:
    response.set_cookie(name, value, path="/ui", httponly=True, samesite="strict", secure=request.url.scheme == "https")
