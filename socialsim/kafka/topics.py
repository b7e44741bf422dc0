"""A run's topics: their names, their keys, and their administration (create, delete).

Runs are announced on one long-lived control topic (`CONTROL_TOPIC`), which long-lived strategy
services read: an announcement per stream (a replication of a run), keyed by run and
replication, so a consumer group of one strategy's instances shares the streams out; the end of a
run goes to every control partition, so every instance hears it. Then one pair of topics per
run, arm and *generation*: `<run>.<arm>.conversations.<g>` (simulator ->
service) and `<run>.<arm>.responses.<g>` (service -> simulator), plus one dead-letter topic per
run. A generation holds a fixed number of consecutive ticks; the run then moves on to the next
pair and deletes the pair two behind. Brokers that keep a partition as a list of batches (the
embedded one scans all of them on every fetch, and stops answering at a few thousand) so never
hold more than one generation's worth. Keys are customer ids, so one customer's events stay in
order within a partition; markers carry counts, so completion never depends on partition order
or end offsets. Administration uses kafka-python's admin client.
"""

from __future__ import annotations

import contextlib
import time

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from .broker import BrokerError

# Ticks per topic generation [ticks]. A tick adds one to a few batches to each partition; the
# embedded broker's fetch slows with every stored batch and stops answering at ~2,400 of them
# (bench/broker_batches.py measures it).
TICKS_PER_TOPIC = 200

MARKER_KEY = b"marker"
# The control topic and its partitions [partitions]: as many as instances of one strategy can
# share streams (a consumer group gives each partition to one instance).
CONTROL_TOPIC = "socialsim.runs"
CONTROL_PARTITIONS = 6


def topics(run: str, arm: str, generation: int = 0) -> tuple[str, str]:
    """(conversations, responses) topics of one arm in one generation."""
    return f"{run}.{arm}.conversations.{generation}", f"{run}.{arm}.responses.{generation}"


def generation_of(topic: str) -> int:
    """The generation a conversations or responses topic belongs to (its last name part)."""
    return int(topic.rsplit(".", 1)[1])


def dead_letter_topic(run: str) -> str:
    return f"{run}.dead-letter"


def key(customer: int | None) -> bytes:
    """Events are keyed by customer id, so one customer's events keep their order; markers share one key."""
    return MARKER_KEY if customer is None else str(customer).encode()


def stream_key(run: str, replication: int) -> bytes:
    """The key of a stream's control messages: one stream, one control partition, one instance."""
    return f"{run}/{replication}".encode()


def stream_partition(replication: int, partitions: int) -> int:
    """The partition of a run's topic that carries one replication's events, both ways: a stream's
    ticks stay in order in one partition, and a run's streams spread over its partitions."""
    return replication % partitions


def generation_topics(run: str, arms: list[str], generation: int) -> list[str]:
    return [t for arm in arms for t in topics(run, arm, generation)]


def run_topics(run: str, arms: list[str]) -> list[str]:
    """What a run needs before its first tick: the first two generations and the dead-letter topic
    (its snapshot topic is made apart: it is compacted, `socialsim.kafka.snapshots`)."""
    return generation_topics(run, arms, 0) + generation_topics(run, arms, 1) + [dead_letter_topic(run)]


class TopicAdmin:
    def __init__(self, bootstrap: str):
        try:
            self._admin = KafkaAdminClient(
                bootstrap_servers=bootstrap, client_id="socialsim-admin", request_timeout_ms=10_000
            )
        except KafkaError as exc:
            raise BrokerError(f"cannot reach a Kafka broker at {bootstrap}: {exc}") from None

    def create(self, names: list[str], partitions: int, config: dict[str, str] | None = None) -> None:
        with contextlib.suppress(TopicAlreadyExistsError):
            self._admin.create_topics([NewTopic(n, partitions, 1, topic_configs=config or {}) for n in names])

    def delete(self, names: list[str]) -> None:
        existing = set(self._admin.list_topics())
        doomed = [n for n in names if n in existing]
        if doomed:
            self._admin.delete_topics(doomed)

    def list(self) -> list[str]:
        return sorted(self._admin.list_topics())

    def delete_run(self, run: str) -> None:
        """Every topic of the run, whichever generations it reached."""
        doomed = [n for n in self.list() if n.startswith(f"{run}.") and n != CONTROL_TOPIC]
        if doomed:
            self._admin.delete_topics(doomed)

    def partitions(self, topic: str, timeout_s: float = 10.0) -> int:
        """How many partitions `topic` has (waits for it to exist)."""
        deadline = time.monotonic() + timeout_s
        while True:
            found = self._admin.describe_topics([topic])
            count = len(found[0].get("partitions", [])) if found and not found[0].get("error_code") else 0
            if count:
                return count
            if time.monotonic() > deadline:
                raise BrokerError(f"topic {topic} does not exist")
            time.sleep(0.1)

    def close(self) -> None:
        self._admin.close()
