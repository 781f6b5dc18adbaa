"""Connection URLs made safe to show: the password of ``scheme://user:password@host/db`` masked.

A registry or state URI may carry a database password. Anything modelport prints, logs, stores in
history or writes as ``--json`` shows the URL through :func:`mask_url`, so the password never leaves
the process that was given it. The rest of the URL (scheme, user, host, port, path, query) stays
readable: it is what a user needs to see which database was meant.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

__all__ = ["MASK", "mask_url", "mask_urls_in"]

MASK = "***"

# scheme://user:password@ … inside free text (an error message from a driver, say). The password
# runs to the last "@" before the host: passwords may contain "@" or ":" when a client left them unquoted.
_IN_TEXT = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@]*:)(?P<password>[^\s/]*)(?P<at>@)")


def mask_url(url: str) -> str:
    """``postgresql://u:secret@host/db`` → ``postgresql://u:***@host/db``; URLs without a password unchanged.

    Also masks a password given as a ``password=`` query parameter (libpq style).
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return mask_urls_in(url)
    netloc = parts.netloc
    if "@" in netloc:
        credentials, _, host = netloc.rpartition("@")
        user, colon, _password = credentials.partition(":")
        if colon:
            netloc = f"{user}:{MASK}@{host}"
    query = re.sub(r"(?i)(^|&)(password=)[^&]*", rf"\g<1>\g<2>{MASK}", parts.query)
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def mask_urls_in(text: str) -> str:
    """Every ``scheme://user:password@`` in free text (an exception message) with the password masked."""
    return _IN_TEXT.sub(lambda m: f"{m['head']}{MASK}{m['at']}", text)
