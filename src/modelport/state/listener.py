"""Wake-ups the moment the state revision moves: PostgreSQL LISTEN/NOTIFY.

Every transaction that bumps the revision also sends ``NOTIFY modelport_revision``; PostgreSQL
delivers it at commit (never for a change rolled back). A ``RevisionListener`` holds one
dedicated connection listening on that channel, in a daemon thread, and calls ``on_change`` for
every notification. A notification is only a hint: the caller then reads the revision counter,
which stays the truth. Notifications sent while the connection was down are lost, so
``on_change`` is also called after every (re)connection; and the caller keeps polling, so a
lost connection slows following down to the polling interval but never stops it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from modelport.state.tables import REVISION_CHANNEL

__all__ = ["APPLICATION_NAME", "RevisionListener"]

log = logging.getLogger(__name__)

APPLICATION_NAME = "modelport-listener"
"""The listening connection's ``application_name`` in ``pg_stat_activity``."""

_STOP_CHECK_S = 0.5  # how long one wait for notifications lasts before the stop flag is read again


class RevisionListener:
    """Call ``on_change`` (from a background thread) whenever the revision may have moved.

    ``dsn`` is a libpq connection string or ``postgresql://`` URL. A failed or lost connection
    is retried after ``retry_s``, doubling up to ``max_retry_s``.
    """

    def __init__(
        self,
        dsn: str,
        on_change: Callable[[], None],
        *,
        retry_s: float = 0.5,
        max_retry_s: float = 30.0,
    ) -> None:
        self._dsn = dsn
        self._on_change = on_change
        self._retry_s = retry_s
        self._max_retry_s = max_retry_s
        self._delay = retry_s
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Connect and listen in a daemon thread (returns at once; connection errors are retried there)."""
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=APPLICATION_NAME, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop listening and close the connection (blocks up to about half a second)."""
        self._stopping.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        import psycopg  # here, not at import: SQLite installations never pay for it

        while not self._stopping.is_set():
            try:
                self._listen()
            except psycopg.Error as exc:
                log.warning("revision notifications lost (%s); polling meanwhile, retry in %.1f s", exc, self._delay)
            except Exception:
                log.exception("revision listener failed; polling meanwhile, retry in %.1f s", self._delay)
            if self._stopping.wait(self._delay):
                return
            self._delay = min(2 * self._delay, self._max_retry_s)

    def _listen(self) -> None:
        import psycopg

        # A peer that vanished without closing the socket (a partitioned network) is noticed by
        # TCP keepalives within about a minute; until then polling carries on.
        with psycopg.connect(
            self._dsn,
            autocommit=True,
            connect_timeout=10,
            application_name=APPLICATION_NAME,
            keepalives=1,
            keepalives_idle=30,
            keepalives_interval=10,
            keepalives_count=3,
        ) as conn:
            conn.execute(f"LISTEN {REVISION_CHANNEL}")
            self._delay = self._retry_s  # listening again: the next loss retries quickly
            log.info("following revision notifications on %s", REVISION_CHANNEL)
            self._notify_caller()  # whatever was notified while we were not listening
            while not self._stopping.is_set():
                for _ in conn.notifies(timeout=_STOP_CHECK_S):
                    self._notify_caller()

    def _notify_caller(self) -> None:
        try:
            self._on_change()
        except Exception:  # the callback's failure must not cost us the connection
            log.exception("revision change callback failed")
