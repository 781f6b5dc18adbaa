"""Stream workers: one more front end of the data plane, for Redis Streams and Kafka.

``run_stream(settings, deployment, source)`` builds a ``Node`` for the deployment and scores every
record ``source`` delivers in micro-batches (``StreamWorker``), following the registry and the
deployment's policy as a server does. ``RedisSource`` (exactly once) and ``KafkaSource`` (at least
once, idempotent output) implement ``Source``; ``contract`` is the message format. Only this
package imports redis-py and confluent-kafka, and only when a source opens.
"""

from modelport.stream.contract import Answer, DeadLetter, Outcome, Record
from modelport.stream.kafka_source import KafkaSource
from modelport.stream.metrics import StreamMetrics
from modelport.stream.redis_source import RedisSource, default_consumer_name
from modelport.stream.runner import run_stream
from modelport.stream.scorer import Scorer, Stopping
from modelport.stream.source import Source
from modelport.stream.worker import StreamWorker

__all__ = [
    "Answer",
    "DeadLetter",
    "KafkaSource",
    "Outcome",
    "Record",
    "RedisSource",
    "Scorer",
    "Source",
    "Stopping",
    "StreamMetrics",
    "StreamWorker",
    "default_consumer_name",
    "run_stream",
]
