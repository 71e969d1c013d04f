"""What confluent-kafka's AvroSerializer with `use.latest.version` finds for a subject.

Usage: latest_version_peer.py URL TOPIC DATUM_JSON [EXPECTED_ID]
Serializes DATUM_JSON as the value of TOPIC (subject TOPIC-value, TopicNameStrategy) with
auto.register.schemas off and use.latest.version on, the way a producer uses schemas registered by a
deploy step; reads it back with AvroDeserializer. Prints "id <schema id> version <version>" of the
subject's latest version and the ID framed in the bytes, and "ok" when the datum read back equals the
one written; with EXPECTED_ID, the framed ID must be that one. Exits non-zero on any failure.
"""
import json
import sys

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

url, topic, datum = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
client = SchemaRegistryClient({"url": url})
latest = client.get_latest_version(f"{topic}-value")
serializer = AvroSerializer(client, None, conf={"auto.register.schemas": False, "use.latest.version": True})
context = SerializationContext(topic, MessageField.VALUE)
data = serializer(datum, context)
assert data[0] == 0, f"magic byte {data[0]}"
framed = int.from_bytes(data[1:5], "big")
print(f"latest id {latest.schema_id} version {latest.version} references {len(latest.schema.references)}")
print(f"framed id {framed}")
assert framed == latest.schema_id, f"framed {framed}, latest {latest.schema_id}"
if len(sys.argv) > 4:
    assert framed == int(sys.argv[4]), f"framed {framed}, registered {sys.argv[4]}"
back = AvroDeserializer(client)(data, context)
assert back == datum, f"read back {back!r}, wrote {datum!r}"
print("ok")
