#!/usr/bin/env python3
"""confluent-kafka's AvroSerializer producing to `canon serve --kafka-port` (see RegistryInteropTests).

    kafka_avro_client.py REGISTRY_URL BOOTSTRAP

creates the topic `payments` validating values in full, produces five records serialized by
AvroSerializer (auto-registering the schema) and one whose value is a plain string (a mismatched
serializer), each in its own batch, then reads the partition back with AvroDeserializer. Prints
{"reports": [[label, error or null, offset]...], "read": [amount...]}.
"""
import json
import sys
import urllib.request

from confluent_kafka import Consumer, Producer, TopicPartition, OFFSET_BEGINNING
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

url, bootstrap = sys.argv[1], sys.argv[2]
request = urllib.request.Request(
    url + "/v3/clusters/canon/topics", method="POST", headers={"Content-Type": "application/json"},
    data=json.dumps({"topic_name": "payments", "partitions_count": 1,
                     "configs": [{"name": "value.schema.validation", "value": "full"}]}).encode())
urllib.request.urlopen(request, timeout=10)

schema = json.dumps({"type": "record", "name": "Payment", "namespace": "canon.test",
                     "fields": [{"name": "id", "type": "string"}, {"name": "amount", "type": "long"}]})
registry = SchemaRegistryClient({"url": url})
serialize = AvroSerializer(registry, schema)
producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 0, "retries": 0})
reports = []


def send(label, value):
    def report(err, msg):
        reports.append([label, err.name() if err else None, msg.offset() if err is None else None])
    producer.produce("payments", value=value, partition=0, on_delivery=report)
    producer.flush(20)


context = SerializationContext("payments", MessageField.VALUE)
for i in range(3):
    send(f"good-{i}", serialize({"id": f"p{i}", "amount": i * 100}, context))
send("mismatched", b"not avro at all")
for i in range(3, 5):
    send(f"good-{i}", serialize({"id": f"p{i}", "amount": i * 100}, context))

deserialize = AvroDeserializer(registry)
consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "payments-check", "enable.auto.commit": False})
consumer.assign([TopicPartition("payments", 0, OFFSET_BEGINNING)])
read = []
while len(read) < 5:
    msg = consumer.poll(20)
    if msg is None:
        break
    if msg.error():
        continue
    read.append(deserialize(msg.value(), context)["amount"])
consumer.close()
print(json.dumps({"reports": reports, "read": read}))
