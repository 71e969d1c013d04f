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


def confluent_produce(bootstrap, topic, values, idempotent=False):
    from confluent_kafka import Producer
    settings = {"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 0, "message.timeout.ms": 20000}
    settings.update({"enable.idempotence": True} if idempotent else {"retries": 0})
    producer = Producer(settings)
    for i, value in enumerate(values):
        def report(err, msg, value=value):
            print(json.dumps({"value": value, "offset": msg.offset() if err is None else None,
                              "error": err.name() if err is not None else None}), flush=True)
        producer.produce(topic, key=f"k{i}".encode(), value=value.encode(), partition=0, on_delivery=report)
        producer.flush(20)


def confluent_produce_keyed(bootstrap, topic, pairs):
    """Each KEY=VALUE (a bare KEY is a tombstone: null value) to partition 0, each its own batch; prints
    the delivery reports."""
    from confluent_kafka import Producer
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 0, "message.timeout.ms": 20000})
    for pair in pairs:
        key, _, value = pair.partition("=")
        def report(err, msg, pair=pair):
            print(json.dumps({"pair": pair, "offset": msg.offset() if err is None else None,
                              "error": err.name() if err is not None else None}), flush=True)
        producer.produce(topic, key=key.encode(), value=value.encode() if "=" in pair else None, partition=0, on_delivery=report)
        producer.flush(20)


def kafka_python_consume(bootstrap, topic):
    """Reads partition 0 from its beginning with kafka-python until nothing comes for 5 s; prints
    {"offset", "key", "value"} per record (value null for a tombstone)."""
    from kafka import KafkaConsumer, TopicPartition
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, consumer_timeout_ms=5000)
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    for msg in consumer:
        print(json.dumps({"offset": msg.offset, "key": msg.key.decode() if msg.key is not None else None,
                          "value": msg.value.decode() if msg.value is not None else None}), flush=True)
    consumer.close()


def confluent_produce_compressed(bootstrap, topic, codec, values):
    """All values in one batch, compressed with CODEC; prints the delivery reports."""
    from confluent_kafka import Producer
    # The batch goes out when it holds every value (or after 5 s): one batch, however slow the machine.
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5000, "batch.num.messages": len(values),
                         "compression.type": codec,
                         "message.timeout.ms": 20000, "retries": 0})
    for i, value in enumerate(values):
        def report(err, msg, value=value):
            print(json.dumps({"value": value, "offset": msg.offset() if err is None else None,
                              "error": err.name() if err is not None else None}), flush=True)
        producer.produce(topic, key=f"k{i}".encode(), value=value.encode(), partition=0, on_delivery=report)
    producer.flush(20)


def dropping_proxy(listen_port, target_port, every):
    """A TCP proxy to the broker that, for every EVERY-th Produce answer, closes the client's connection
    instead of forwarding it: the records were written but the producer never hears so, and retries."""
    import socket
    import struct
    import threading
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", listen_port))
    server.listen(16)
    produce_answers = [0]
    lock = threading.Lock()

    def read_frame(sock):
        header = b""
        while len(header) < 4:
            chunk = sock.recv(4 - len(header))
            if not chunk:
                return None
            header += chunk
        size = struct.unpack(">i", header)[0]
        body = b""
        while len(body) < size:
            chunk = sock.recv(size - len(body))
            if not chunk:
                return None
            body += chunk
        return header + body

    def serve(client):
        upstream = socket.create_connection(("127.0.0.1", target_port))
        produces = set()
        try:
            while True:
                request = read_frame(client)
                if request is None:
                    return
                api_key, _, correlation = struct.unpack(">hhi", request[4:12])
                if api_key == 0:
                    produces.add(correlation)
                upstream.sendall(request)
                answer = read_frame(upstream)
                if answer is None:
                    return
                correlation = struct.unpack(">i", answer[4:8])[0]
                if correlation in produces:
                    with lock:
                        produce_answers[0] += 1
                        drop = produce_answers[0] % every == 0
                    if drop:
                        return
                client.sendall(answer)
        finally:
            client.close()
            upstream.close()

    def accept():
        while True:
            client, _ = server.accept()
            threading.Thread(target=serve, args=(client,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return produce_answers


def confluent_produce_through_drops(bootstrap_port, target_port, topic, count):
    """An idempotent confluent-kafka producer sends COUNT values through a proxy that drops every 4th
    Produce answer; prints {"delivered": [[value, offset]...], "errors": n, "dropped": n}."""
    from confluent_kafka import Producer
    answers = dropping_proxy(bootstrap_port, target_port, 4)
    producer = Producer({"bootstrap.servers": f"127.0.0.1:{bootstrap_port}", "acks": "all", "enable.idempotence": True,
                         "linger.ms": 2, "message.timeout.ms": 60000, "reconnect.backoff.ms": 10})
    delivered = []
    errors = [0]

    def report(err, msg):
        if err is None:
            delivered.append([msg.value().decode(), msg.offset()])
        else:
            errors[0] += 1
    for i in range(count):
        producer.produce(topic, value=f"d{i}".encode(), partition=0, on_delivery=report)
        producer.poll(0)
        if i % 10 == 9:
            producer.flush(60)
    producer.flush(60)
    print(json.dumps({"delivered": delivered, "errors": errors[0], "dropped": answers[0] // 4}))


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
        value = msg.value()
        print(json.dumps({"offset": msg.offset(), "key": msg.key().decode(), "value": value.decode() if value is not None else None}),
              flush=True)
        seen += 1
    consumer.close()


def produce_values(bootstrap, topic, values):
    from confluent_kafka import Producer
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5})
    for value in values:
        producer.produce(topic, key=value.encode(), value=value.encode())
    if producer.flush(20):
        sys.exit("not every record was delivered")


def group_consume(bootstrap, topic, group, consumers, expected, stop_after=None):
    """Runs CONSUMERS subscribed consumers of GROUP (threads) until the EXPECTED values are all read,
    committing each record; returns [(consumer, value)] in reading order. With stop_after, consumer 0
    closes (leaves the group) once it has read that many and the others go on."""
    import threading
    import time
    from confluent_kafka import Consumer
    lock = threading.Lock()
    seen = []
    wanted = set(expected)
    done = threading.Event()

    def run(index):
        consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                             "auto.offset.reset": "earliest", "session.timeout.ms": 6000,
                             "heartbeat.interval.ms": 500, "client.id": f"consumer-{index}"})
        consumer.subscribe([topic])
        mine = 0
        deadline = time.time() + 60
        while not done.is_set() and time.time() < deadline:
            msg = consumer.poll(0.2)
            if msg is None or msg.error():
                continue
            try:
                consumer.commit(message=msg, asynchronous=False)
            except Exception as e:  # a failed commit means the record may be read again: the test sees it
                print(f"consumer {index}: commit failed: {e}", file=sys.stderr)
            mine += 1
            with lock:
                seen.append((index, msg.value().decode()))
                if wanted <= {v for _, v in seen}:
                    done.set()
            if stop_after is not None and index == 0 and mine >= stop_after:
                break
        consumer.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(consumers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return seen


def confluent_group(bootstrap, topic, group, phase):
    """Phase "first": 60 values read by 3 consumers, then consumer 0 leaves after 5 of 30 more and the
    others read the rest. Phase "after-restart": 15 new values, read by one consumer of the same group,
    which starts from the committed offsets. Prints {"phase", "reads": [[consumer, value]...]}."""
    if phase == "first":
        first = [f"a{i}" for i in range(60)]
        produce_values(bootstrap, topic, first)
        reads = group_consume(bootstrap, topic, group, 3, first)
        second = [f"b{i}" for i in range(30)]
        produce_values(bootstrap, topic, second)
        reads += group_consume(bootstrap, topic, group, 3, second, stop_after=5)
    else:
        third = [f"c{i}" for i in range(15)]
        produce_values(bootstrap, topic, third)
        reads = group_consume(bootstrap, topic, group, 1, third)
    print(json.dumps({"phase": phase, "reads": reads}))


def kafka_python(bootstrap, topic, values):
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    # kafka-python 2.x and 3.x turn idempotence on by default (InitProducerId, sequence numbers).
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
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
    setting, describes its settings, grows it to 5 partitions and tries to shrink it, deletes it;
    prints one JSON line per step."""
    from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewPartitions, NewTopic
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

    def grow(count):
        response = admin.create_partitions({topic: NewPartitions(count)})
        for entry in getattr(response, "topic_errors", []):
            if entry[1]:
                raise for_code(entry[1])(entry[2] if len(entry) > 2 else "")
        return "grown"

    step("grow", lambda: grow(5))
    step("shrink", lambda: grow(2))
    step("partitions", lambda: len(admin.describe_topics([topic])[0]["partitions"]))
    step("delete", lambda: str(admin.delete_topics([topic])))
    admin.close()


if __name__ == "__main__":
    command, bootstrap, topic = sys.argv[1:4]
    if command == "confluent-produce":
        confluent_produce(bootstrap, topic, sys.argv[4:])
    elif command == "confluent-produce-idempotent":
        confluent_produce(bootstrap, topic, sys.argv[4:], idempotent=True)
    elif command == "confluent-produce-keyed":
        confluent_produce_keyed(bootstrap, topic, sys.argv[4:])
    elif command == "kafka-python-consume":
        kafka_python_consume(bootstrap, topic)
    elif command == "confluent-produce-compressed":
        confluent_produce_compressed(bootstrap, topic, sys.argv[4], sys.argv[5:])
    elif command == "confluent-produce-through-drops":
        confluent_produce_through_drops(int(bootstrap), int(sys.argv[4]), topic, int(sys.argv[5]))
    elif command == "confluent-consume":
        confluent_consume(bootstrap, topic, int(sys.argv[4]), int(sys.argv[5]))
    elif command == "confluent-group":
        confluent_group(bootstrap, topic, sys.argv[4], sys.argv[5])
    elif command == "kafka-python":
        kafka_python(bootstrap, topic, sys.argv[4:])
    elif command == "kafka-python-admin":
        kafka_python_admin(bootstrap, topic)
    else:
        sys.exit(f"unknown command {command}")
