"""Revision notifications: PostgreSQL tells listeners of every committed bump; SQLite has none."""

from __future__ import annotations

import queue

import pytest

from modelport.state import StateStore


def _bump_then_fail(store: StateStore) -> None:
    with store.locked("abandoned") as tx:
        tx.bump_revision()
        raise RuntimeError("rolled back")


def test_every_committed_revision_bump_is_notified(store: StateStore) -> None:
    heard: queue.Queue[int] = queue.Queue()
    listener = store.revision_listener(lambda: heard.put(store.revision()))
    if store.dialect == "sqlite":
        assert listener is None  # nothing to listen to: followers poll
        return
    assert listener is not None
    listener.start()
    try:
        assert heard.get(timeout=30) == 0  # called once connected, to catch up on anything missed
        store.create_deployment("credit", "credit_risk", "production")
        assert heard.get(timeout=30) == 1
        with pytest.raises(RuntimeError, match="rolled back"):
            _bump_then_fail(store)
        store.delete_deployment("credit")
        # The rolled-back bump was never notified (that would have been heard as revision 1).
        assert heard.get(timeout=30) == 2
    finally:
        listener.stop()
