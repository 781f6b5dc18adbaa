"""``--kafka-config``: one property list, routed to the consumer, the producer, or both."""

from __future__ import annotations

from modelport.stream.kafka_source import split_config


def test_prefixes_pick_the_client() -> None:
    consumer, producer = split_config(
        {"security.protocol": "SSL", "consumer.session.timeout.ms": "6000", "producer.linger.ms": "10"}
    )
    assert consumer == {"security.protocol": "SSL", "session.timeout.ms": "6000"}
    assert producer == {"security.protocol": "SSL", "linger.ms": "10"}
