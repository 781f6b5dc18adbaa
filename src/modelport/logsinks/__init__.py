"""The prediction log's sinks for scaled-out deployments: Redis Streams and Kafka.

``open_log_sink(settings)`` opens the sink ``prediction_log.sink`` names — ``RedisLogSink``,
``KafkaLogSink`` or the data plane's own ``ParquetSink`` — and is what ``modelport serve`` and the
stream workers hand to ``Node``; ``read_logged`` reads a deployment's records back by time from the
same sink (``modelport log``).

Why a package of its own: the data plane (``modelport.inference``) must not import broker clients,
and the HTTP front end cannot import the stream workers (siblings of one layer). This package sits
between them — above the data plane, below every front end — and, with ``modelport.stream``, is the
only one that imports redis-py and confluent-kafka (``make lint`` checks both), lazily, when a sink
opens.
"""

from modelport.logsinks.factory import open_log_sink, read_logged
from modelport.logsinks.kafka_log import KafkaLogSink
from modelport.logsinks.kafka_reader import read_kafka_log
from modelport.logsinks.redis_log import RedisLogSink, read_redis_log, redis_stream_name

__all__ = [
    "KafkaLogSink",
    "RedisLogSink",
    "open_log_sink",
    "read_kafka_log",
    "read_logged",
    "read_redis_log",
    "redis_stream_name",
]
