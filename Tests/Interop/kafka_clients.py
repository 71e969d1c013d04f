#!/usr/bin/env python3
"""Real Kafka clients against Canon's Kafka door, for CanonKafkaTests.

    kafka_clients.py confluent-produce BOOTSTRAP TOPIC VALUE...

produces each VALUE (key "k<i>") to partition 0 with confluent-kafka (librdkafka, acks=all), flushing
after each so every value is its own batch; prints one JSON line per delivery report:
{"value", "offset", "error"} (error: the librdkafka error name, or null).

    kafka_clients.py confluent-consume BOOTSTRAP TOPIC PARTITION COUNT

reads COUNT records of the partition from its beginning with confluent-kafka (assign, no group) and
prints {"offset", "key", "value"} per record.

    kafka_clients.py kafka-python BOOTSTRAP TOPIC VALUE...

produces the values with kafka-python (acks=all), then reads the partition back from the beginning;
prints {"offset", "value"} per record read.
"""
import json
import sys


def confluent_produce(bootstrap, topic, values):
    from confluent_kafka import Producer
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 0,
                         "message.timeout.ms": 20000, "retries": 0})
    for i, value in enumerate(values):
        def report(err, msg, value=value):
            print(json.dumps({"value": value, "offset": msg.offset() if err is None else None,
                              "error": err.name() if err is not None else None}), flush=True)
        producer.produce(topic, key=f"k{i}".encode(), value=value.encode(), partition=0, on_delivery=report)
        producer.flush(20)


def confluent_produce_compressed(bootstrap, topic, codec, values):
    """All values in one batch (linger), compressed with CODEC; prints the delivery reports."""
    from confluent_kafka import Producer
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 50, "compression.type": codec,
                         "message.timeout.ms": 20000, "retries": 0})
    for i, value in enumerate(values):
        def report(err, msg, value=value):
            print(json.dumps({"value": value, "offset": msg.offset() if err is None else None,
                              "error": err.name() if err is not None else None}), flush=True)
        producer.produce(topic, key=f"k{i}".encode(), value=value.encode(), partition=0, on_delivery=report)
    producer.flush(20)


def confluent_consume(bootstrap, topic, partition, count):
    from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "canon-test", "enable.auto.commit": False,
                         "enable.partition.eof": False})
    consumer.assign([TopicPartition(topic, partition, OFFSET_BEGINNING)])
    seen = 0
    while seen < count:
        msg = consumer.poll(20)
        if msg is None:
            sys.exit(f"only {seen} of {count} records arrived")
        if msg.error():
            sys.exit(f"consumer error: {msg.error()}")
        print(json.dumps({"offset": msg.offset(), "key": msg.key().decode(), "value": msg.value().decode()}), flush=True)
        seen += 1
    consumer.close()


def kafka_python(bootstrap, topic, values):
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    # Idempotence (InitProducerId) is not answered yet: kafka-python 2.x turns it on by default.
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=False)
    for value in values:
        producer.send(topic, value=value.encode(), partition=0).get(timeout=20)
    producer.close()
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, consumer_timeout_ms=5000)
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    for msg in consumer:
        print(json.dumps({"offset": msg.offset, "value": msg.value.decode()}), flush=True)
    consumer.close()


def kafka_python_admin(bootstrap, topic):
    """Creates TOPIC (3 partitions, value.schema.validation=full), tries again and with a misspelt
    setting, describes its settings, deletes it; prints one JSON line per step."""
    from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic
    from kafka.errors import KafkaError, for_code
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)

    def step(name, call):
        try:
            result = call()
            print(json.dumps({"step": name, "ok": True, "result": result}, default=str), flush=True)
        except KafkaError as e:
            print(json.dumps({"step": name, "ok": False, "error": type(e).__name__}), flush=True)

    def create(name, configs):
        # Older kafka-python returns the topic errors; newer raises them: both end as the error's class.
        response = admin.create_topics([NewTopic(name, 3, 1, topic_configs=configs)])
        for entry in getattr(response, "topic_errors", []):
            if entry[1]:
                raise for_code(entry[1])(entry[2] if len(entry) > 2 else "")
        return "created"

    step("create", lambda: create(topic, {"value.schema.validation": "full"}))
    step("create-again", lambda: create(topic, {}))
    step("create-typo", lambda: create(topic + "-typo", {"value.schema.validaton": "full"}))

    def describe():
        # kafka-python 3: {"topic": {name: {setting: {"value": ..., "config_source": ...}}}}, defaults left out.
        described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        return {k: v["value"] for k, v in described["topic"][topic].items()}

    step("describe", describe)
    step("delete", lambda: str(admin.delete_topics([topic])))
    admin.close()


if __name__ == "__main__":
    command, bootstrap, topic = sys.argv[1:4]
    if command == "confluent-produce":
        confluent_produce(bootstrap, topic, sys.argv[4:])
    elif command == "confluent-produce-compressed":
        confluent_produce_compressed(bootstrap, topic, sys.argv[4], sys.argv[5:])
    elif command == "confluent-consume":
        confluent_consume(bootstrap, topic, int(sys.argv[4]), int(sys.argv[5]))
    elif command == "kafka-python":
        kafka_python(bootstrap, topic, sys.argv[4:])
    elif command == "kafka-python-admin":
        kafka_python_admin(bootstrap, topic)
    else:
        sys.exit(f"unknown command {command}")
