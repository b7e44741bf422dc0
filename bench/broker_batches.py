"""How the embedded broker's round trip slows as a partition stores more batches.

    python bench/broker_batches.py [--batches 2000] [--step 250]

Produces one single-message batch at a time to one partition and consumes it back, printing the
round trips per second for each step of stored batches and the last step's rate as a ratio of
the first. This is why a Kafka run moves to a new generation of topics every
`TICKS_PER_TOPIC` ticks (socialsim.contracts.wire): past ~2,400 stored batches the broker
stops answering fetches on that partition at all.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from socialsim.kafka.broker import EmbeddedBroker
from socialsim.kafka.topics import TopicAdmin


async def measure(bootstrap: str, batches: int, step: int) -> list[float]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, fetch_max_wait_ms=1, enable_auto_commit=False)
    await producer.start()
    await consumer.start()
    tp = TopicPartition("bench", 0)
    consumer.assign([tp])
    await consumer.seek_to_beginning(tp)
    rates = []
    try:
        for _ in range(batches // step):
            start = time.perf_counter()
            for _ in range(step):
                await (await producer.send("bench", b"x" * 300, partition=0))
                got = 0
                while not got:
                    got = sum(len(v) for v in (await consumer.getmany(timeout_ms=100)).values())
            rates.append(step / (time.perf_counter() - start))
    finally:
        await consumer.stop()
        await producer.stop()
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=2000, help="batches to store (stay under ~2,400)")
    parser.add_argument("--step", type=int, default=250, help="batches per measured step")
    args = parser.parse_args()
    broker = EmbeddedBroker.start()
    try:
        admin = TopicAdmin(broker.bootstrap)
        admin.create(["bench"], 1)
        rates = asyncio.run(measure(broker.bootstrap, args.batches, args.step))
        admin.delete(["bench"])
        admin.close()
    finally:
        broker.stop()
    for k, rate in enumerate(rates):
        print(f"stored batches {k * args.step:>5}-{(k + 1) * args.step:<5} {rate:8.0f} round trips/s")
    print(f"ratio last/first step: {rates[-1] / rates[0]:.2f}")


if __name__ == "__main__":
    main()
