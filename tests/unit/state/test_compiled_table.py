"""The shared table of compiled versions, on SQLite and PostgreSQL: first writer wins, bytes kept exactly."""

from __future__ import annotations

from modelport.state import StateStore


def test_put_then_get_keeps_verdict_and_bytes(store: StateStore) -> None:
    payload = bytes(range(256)) * 4096  # 1 MiB of every byte value
    assert store.compiled.put("k1", model="credit", version="2", verdict='{"passed": true}', payload=payload)

    record = store.compiled.get("k1")

    assert record is not None
    assert (record.model, record.version, record.verdict, record.payload) == (
        "credit",
        "2",
        '{"passed": true}',
        payload,
    )
    assert record.created_at.tzinfo is not None


def test_a_refusal_is_stored_without_bytes(store: StateStore) -> None:
    store.compiled.put("k2", model="m", version="1", verdict='{"passed": false}', payload=None)
    record = store.compiled.get("k2")
    assert record is not None
    assert record.payload is None


def test_the_first_writer_wins_and_the_second_is_told(store: StateStore) -> None:
    assert store.compiled.put("k", model="m", version="1", verdict="first", payload=b"1")
    assert not store.compiled.put("k", model="m", version="1", verdict="second", payload=b"2")
    record = store.compiled.get("k")
    assert record is not None
    assert (record.verdict, record.payload) == ("first", b"1")


def test_forget_removes_one_key_or_all(store: StateStore) -> None:
    for key in ("a", "b", "c"):
        store.compiled.put(key, model="m", version=key, verdict="{}", payload=None)
    assert store.compiled.forget("a") == 1
    assert store.compiled.get("a") is None
    assert store.compiled.forget() == 2
    assert store.compiled.get("b") is None
    assert store.compiled.get("missing") is None


def test_a_linked_version_is_served_only_from_a_form_that_passed(store: StateStore) -> None:
    store.compiled.put("passed", model="m", version="1", verdict="{}", payload=b"onnx")
    store.compiled.put("refused", model="m", version="2", verdict="{}", payload=None)
    store.compiled.link("passed", model="m", version="1", mlmodel="flavors: {}", sample=b"rows")
    store.compiled.link("refused", model="m", version="2", mlmodel="flavors: {}", sample=None)
    store.compiled.link("passed", model="m", version="1", mlmodel="flavors: {}", sample=b"rows")  # again: no-op

    form = store.compiled.served_form("m", "1")

    assert form is not None
    assert (form.key, form.mlmodel, form.sample) == ("passed", "flavors: {}", b"rows")
    assert store.compiled.served_form("m", "2") is None  # its verdict is "no ONNX": load the model files
    assert store.compiled.served_form("m", "3") is None
    store.compiled.forget("passed")
    assert store.compiled.served_form("m", "1") is None  # forgotten compiled form: nothing to serve from


def test_a_deleted_version_is_unlinked(store: StateStore) -> None:
    store.compiled.put("k", model="m", version="1", verdict="{}", payload=b"onnx")
    store.compiled.link("k", model="m", version="1", mlmodel="x", sample=None)
    with store.locked("model:m") as tx:
        tx.unlink_compiled("m", 1)
    assert store.compiled.served_form("m", "1") is None


def test_the_newest_link_of_a_version_wins(store: StateStore) -> None:
    """A version whose files changed since (a new key) is served from the form its files have now."""
    store.compiled.put("old", model="m", version="1", verdict="{}", payload=b"old onnx")
    store.compiled.put("new", model="m", version="1", verdict="{}", payload=b"new onnx")
    store.compiled.link("old", model="m", version="1", mlmodel="old", sample=None)
    store.compiled.link("new", model="m", version="1", mlmodel="new", sample=b"s")

    form = store.compiled.served_form("m", "1")

    assert form is not None
    assert (form.key, form.mlmodel, form.sample) == ("new", "new", b"s")
