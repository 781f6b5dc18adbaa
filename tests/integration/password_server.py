"""A listener that speaks just enough of the PostgreSQL wire protocol to refuse a password.

The machine's PostgreSQL trusts every local connection (no password is ever checked), so a wrong
password cannot be provoked there without reconfiguring a shared service. This server answers a
real libpq/psycopg client the way PostgreSQL does for a wrong password: it asks for the password,
then sends ``FATAL 28P01 password authentication failed``. Only the authentication exchange exists.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from types import TracebackType

__all__ = ["PasswordRefusingServer"]

_SSL_REQUEST = 80877103
_GSSENC_REQUEST = 80877104


def _read(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("client went away")
        data += chunk
    return data


def _error(user: str) -> bytes:
    fields = b"".join(
        kind + text.encode() + b"\0"
        for kind, text in (
            (b"S", "FATAL"),
            (b"V", "FATAL"),
            (b"C", "28P01"),
            (b"M", f'password authentication failed for user "{user}"'),
        )
    )
    body = fields + b"\0"
    return b"E" + struct.pack("!i", 4 + len(body)) + body


class PasswordRefusingServer:
    """``with PasswordRefusingServer() as port:`` — every login on 127.0.0.1:port fails as a wrong password."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> int:
        self._thread.start()
        return int(self._sock.getsockname()[1])

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(10)
                with contextlib.suppress(ConnectionError, TimeoutError):
                    self._refuse(conn)

    @staticmethod
    def _refuse(conn: socket.socket) -> None:
        while True:
            length, code = struct.unpack("!ii", _read(conn, 8))
            if code in (_SSL_REQUEST, _GSSENC_REQUEST):
                conn.sendall(b"N")  # no encryption here: the client carries on in plain text
                continue
            params = _read(conn, length - 8).split(b"\0")
            user = params[params.index(b"user") + 1].decode() if b"user" in params else ""
            break
        conn.sendall(b"R" + struct.pack("!ii", 8, 3))  # AuthenticationCleartextPassword
        kind, size = struct.unpack("!ci", _read(conn, 5))
        _read(conn, size - 4)  # the password, read and thrown away
        if kind == b"p":
            conn.sendall(_error(user))
