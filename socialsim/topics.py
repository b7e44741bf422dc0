"""Topic administration with kafka-python: create a run's topics, delete them when it ends."""

from __future__ import annotations

import time

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from .broker import BrokerError
from .contracts.wire import dead_letter_topic, topics


def generation_topics(run: str, arms: list[str], generation: int) -> list[str]:
    return [t for arm in arms for t in topics(run, arm, generation)]


def run_topics(run: str, arms: list[str]) -> list[str]:
    """What a run needs before its first tick: the first two generations and the dead-letter topic."""
    return generation_topics(run, arms, 0) + generation_topics(run, arms, 1) + [dead_letter_topic(run)]


class TopicAdmin:
    def __init__(self, bootstrap: str):
        try:
            self._admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="socialsim-admin", request_timeout_ms=10_000)
        except KafkaError as exc:
            raise BrokerError(f"cannot reach a Kafka broker at {bootstrap}: {exc}") from None

    def create(self, names: list[str], partitions: int) -> None:
        try:
            self._admin.create_topics([NewTopic(n, partitions, 1) for n in names])
        except TopicAlreadyExistsError:
            pass

    def delete(self, names: list[str]) -> None:
        existing = set(self._admin.list_topics())
        doomed = [n for n in names if n in existing]
        if doomed:
            self._admin.delete_topics(doomed)

    def list(self) -> list[str]:
        return sorted(self._admin.list_topics())

    def delete_run(self, run: str) -> None:
        """Every topic of the run, whichever generations it reached."""
        doomed = [n for n in self.list() if n.startswith(f"{run}.")]
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
