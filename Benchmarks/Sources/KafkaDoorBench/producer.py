#!/usr/bin/env python3
"""The peer of KafkaDoorBench: librdkafka (confluent-kafka) producing COUNT values of SIZE bytes to
PARTITIONS partitions of `bench`, acks=all, round robin by partition; prints the seconds from the first
produce call to the end of flush (every record acknowledged)."""
import sys
import time

from confluent_kafka import Producer

bootstrap, count, size, partitions = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
value = b"x" * size
producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5, "batch.size": 1 << 20,
                     "queue.buffering.max.messages": 2_000_000, "queue.buffering.max.kbytes": 2_000_000,
                     "enable.idempotence": False, "log_level": 2})
failed = [0]


def report(err, msg):
    if err is not None:
        failed[0] += 1


start = time.perf_counter()
for i in range(count):
    producer.produce("bench", value=value, partition=i % partitions, on_delivery=report)
    if i % 10000 == 0:
        producer.poll(0)
producer.flush(300)
elapsed = time.perf_counter() - start
if failed[0]:
    sys.exit(f"{failed[0]} records failed")
print(f"{elapsed:.6f}")
