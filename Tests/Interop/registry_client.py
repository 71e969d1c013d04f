"""The unmodified confluent-kafka client against a running `canon serve`.

Usage: registry_client.py URL suite        -- the client round trips; prints "ok <step>" lines
       registry_client.py URL populate     -- registers schemas for the restart test; prints "id subject version"
       registry_client.py URL check FILE   -- after a restart: every line of FILE is still there
Exits non-zero (with a traceback naming the step) on the first failure.
"""
import json
import sys

from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

url = sys.argv[1]
mode = sys.argv[2]
client = SchemaRegistryClient({"url": url})


def record(name, fields, namespace="com.example"):
    return json.dumps({"type": "record", "name": name, "namespace": namespace, "fields": fields})


ORDER_V1 = record("Order", [{"name": "id", "type": "long"}, {"name": "item", "type": "string"}])
ORDER_V2 = record("Order", [{"name": "id", "type": "long"}, {"name": "item", "type": "string"},
                            {"name": "qty", "type": "int", "default": 1}])
ORDER_BAD = record("Order", [{"name": "id", "type": "long"}, {"name": "item", "type": "string"},
                             {"name": "price", "type": "double"}])


def expect_error(step, code, fn):
    try:
        fn()
    except SchemaRegistryError as e:
        assert e.error_code == code, f"{step}: error_code {e.error_code}, expected {code}: {e}"
        print(f"ok {step} ({e.http_status_code}/{e.error_code})")
        return
    raise AssertionError(f"{step}: no error, expected {code}")


def suite():
    assert "AVRO" in client.get_schema_types()
    s1 = client.register_schema("orders-value", Schema(ORDER_V1, "AVRO"))
    again = client.register_schema("orders-value", Schema(ORDER_V1, "AVRO"))
    assert s1 == again, (s1, again)
    other = client.register_schema("other-value", Schema(ORDER_V1, "AVRO"))
    assert other == s1, "an identical schema shares its ID across subjects"
    print("ok register")
    found = client.lookup_schema("orders-value", Schema(ORDER_V1, "AVRO"))
    assert found.schema_id == s1 and found.version == 1 and found.subject == "orders-value"
    print("ok lookup")
    fetched = client.get_schema(s1)
    assert json.loads(fetched.schema_str)["name"] == "Order"
    print("ok get by id")
    assert client.test_compatibility("orders-value", Schema(ORDER_V2, "AVRO"))
    assert not client.test_compatibility("orders-value", Schema(ORDER_BAD, "AVRO"))
    print("ok compatibility")
    s2 = client.register_schema("orders-value", Schema(ORDER_V2, "AVRO"))
    assert s2 > s1
    assert client.get_versions("orders-value") == [1, 2]
    latest = client.get_latest_version("orders-value")
    assert latest.version == 2 and latest.schema_id == s2
    v1 = client.get_version("orders-value", 1)
    assert v1.schema_id == s1
    print("ok versions")
    expect_error("incompatible register", 409, lambda: client.register_schema("orders-value", Schema(ORDER_BAD, "AVRO")))
    expect_error("unknown subject", 40401, lambda: client.get_latest_version("no-such-subject"))
    expect_error("unknown id", 40403, lambda: client.get_schema(99999))
    expect_error("invalid schema", 42201, lambda: client.register_schema("x-value", Schema('{"type":"record"}', "AVRO")))
    # Config and mode round trips.
    client.set_compatibility("orders-value", "FULL")
    assert client.get_compatibility("orders-value") == "FULL"
    client.set_compatibility(level="NONE")
    assert client.get_compatibility() == "NONE"
    client.set_compatibility(level="BACKWARD")
    print("ok config")
    client.update_mode("frozen-value", "READONLY")
    assert client.get_mode("frozen-value") == "READONLY"
    expect_error("read-only", 42205, lambda: client.register_schema("frozen-value", Schema(ORDER_V1, "AVRO")))
    client.update_mode("frozen-value", "READWRITE")
    print("ok mode")
    # References: a shared type in its own subject.
    address = record("Address", [{"name": "city", "type": "string"}], namespace="com.example.common")
    client.register_schema("address-value", Schema(address, "AVRO"))
    customer = json.dumps({"type": "record", "name": "Customer", "namespace": "com.example",
                           "fields": [{"name": "name", "type": "string"}, {"name": "home", "type": "com.example.common.Address"}]})
    refs = [SchemaReference("com.example.common.Address", "address-value", 1)]
    cid = client.register_schema("customer-value", Schema(customer, "AVRO", refs))
    assert client.get_referenced_by("address-value", 1) == [cid]
    expect_error("referenced delete", 42206, lambda: client.delete_version("address-value", 1))
    print("ok references")
    # Soft delete, still readable by ID, then permanent.
    assert client.delete_subject("other-value") == [1]
    assert "other-value" not in client.get_subjects()
    assert json.loads(client.get_schema(s1).schema_str)["name"] == "Order"
    expect_error("soft-deleted twice", 40404, lambda: client.delete_subject("other-value"))
    assert client.delete_subject("other-value", permanent=True) == [1]
    print("ok delete")
    # One version at a time: soft, then permanent.
    client.register_schema("versions-value", Schema(ORDER_V1, "AVRO"))
    client.register_schema("versions-value", Schema(ORDER_V2, "AVRO"))
    assert client.delete_version("versions-value", 1) == 1
    assert client.get_versions("versions-value") == [2]
    expect_error("version soft-deleted twice", 40406, lambda: client.delete_version("versions-value", 1))
    assert client.delete_version("versions-value", 1, permanent=True) == 1
    expect_error("permanent without soft", 40407, lambda: client.delete_version("versions-value", 2, permanent=True))
    print("ok version deletes")
    # IMPORT mode keeps the caller's IDs (through the client's raw REST call).
    client.update_mode("imported-value", "IMPORT")
    answer = client._rest_client.post("subjects/imported-value/versions",
                                      {"schema": record("Imported", [{"name": "a", "type": "int"}]), "id": 900, "version": 3})
    assert answer["id"] == 900 and answer["version"] == 3, answer
    client.update_mode("imported-value", "READWRITE")
    assert client.get_version("imported-value", 3).schema_id == 900
    print("ok import")
    # Serializer and deserializer round trips, auto-registering and not.
    value = {"id": 7, "item": "book", "qty": 3}
    ctx = SerializationContext("orders", MessageField.VALUE)
    ser = AvroSerializer(client, ORDER_V2, conf={"auto.register.schemas": False, "use.latest.version": False})
    data = ser(value, ctx)
    assert data[0] == 0 and int.from_bytes(data[1:5], "big") == s2
    de = AvroDeserializer(client)
    assert de(data, ctx) == value
    auto = AvroSerializer(client, record("Payment", [{"name": "amount", "type": "double"}]), conf={"auto.register.schemas": True})
    pdata = auto({"amount": 9.5}, SerializationContext("payments", MessageField.VALUE))
    assert de(pdata, SerializationContext("payments", MessageField.VALUE)) == {"amount": 9.5}
    assert client.get_versions("payments-value") == [1]
    print("ok serializer round trips")
    print("suite passed")


def populate():
    for i in range(20):
        fields = [{"name": "f%d" % k, "type": "string", "default": ""} for k in range(i + 1)]
        subject = "s%d-value" % (i % 4)
        sid = client.register_schema(subject, Schema(record("Event", fields), "AVRO"))
        version = client.lookup_schema(subject, Schema(record("Event", fields), "AVRO")).version
        print(sid, subject, version, flush=True)
    client.set_compatibility("s0-value", "FULL")
    client.update_mode("s1-value", "READONLY")
    client.set_compatibility(level="FORWARD")
    # The highest ID issued so far is hard-deleted: a later schema must still get a higher one.
    gone = client.register_schema("gone-value", Schema(record("Gone", [{"name": "g", "type": "int"}]), "AVRO"))
    client.delete_subject("gone-value")
    client.delete_subject("gone-value", permanent=True)
    print(gone, "gone-value", 0, flush=True)
    # A soft-deleted version stays soft-deleted.
    client.delete_version("s2-value", 1)
    # A topic with settings and records.
    status, _ = http("POST", "/v3/clusters/canon/topics", {"topic_name": "kept", "partitions_count": 2,
                                                           "configs": [{"name": "retention.ms", "value": "-1"}, {"name": "value.tombstones", "value": "reject"}]})
    assert status == 201, status
    for i in range(5):
        status, answer = http("POST", "/v3/clusters/canon/topics/kept/records", {"partition_id": 1, "value": {"type": "STRING", "data": "record-%d" % i}})
        assert status == 200, answer
    print("populated", flush=True)


def check(path):
    highest = 0
    for line in open(path):
        if line.startswith("populated"):
            continue
        sid, subject, version = line.split()
        highest = max(highest, int(sid))
        if subject == "gone-value" or (subject == "s2-value" and version == "1"):
            continue
        got = client.get_version(subject, int(version))
        assert got.schema_id == int(sid), (line, got.schema_id)
    assert client.get_compatibility("s0-value") == "FULL"
    assert client.get_compatibility() == "FORWARD"
    assert client.get_mode("s1-value") == "READONLY"
    assert "gone-value" not in client.get_subjects(deleted=True)
    assert 1 not in client.get_versions("s2-value")
    assert client.get_version("s2-value", 1, deleted=True).version == 1
    import base64
    status, topic = http("GET", "/v3/clusters/canon/topics/kept")
    assert status == 200 and topic["partitions_count"] == 2, topic
    status, config = http("GET", "/v3/clusters/canon/topics/kept/configs/value.tombstones")
    assert config["value"] == "reject", config
    status, read = http("GET", "/v3/clusters/canon/topics/kept/partitions/1/records?offset=0&max_records=10")
    assert [base64.b64decode(r["value"]["data"]).decode() for r in read["data"]] == ["record-%d" % i for i in range(5)], read
    client.set_compatibility(level="BACKWARD")
    new = client.register_schema("after-restart-value", Schema(record("Fresh", [{"name": "z", "type": "int"}]), "AVRO"))
    assert new > highest, (new, highest)
    print("check passed")


def http(method, path, body=None):
    import urllib.error
    import urllib.request
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url + path, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req) as r:
            text = r.read()
            return r.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def produce():
    """Write-time validation with bytes the real AvroSerializer produced."""
    import base64
    schema = record("Evt", [{"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B", "C"]}},
                            {"name": "note", "type": ["null", "string"]}, {"name": "name", "type": "string"}, {"name": "n", "type": "int"}])
    client.register_schema("other-value", Schema(record("Other", [{"name": "x", "type": "long"}]), "AVRO"))
    status, _ = http("POST", "/v3/clusters/canon/topics", {"topic_name": "events", "partitions_count": 1,
                                                           "configs": [{"name": "value.schema.validation", "value": "full"}]})
    assert status == 201, status
    ser = AvroSerializer(client, schema, conf={"auto.register.schemas": True})
    ctx = SerializationContext("events", MessageField.VALUE)
    good = ser({"kind": "B", "note": "hi", "name": "abc", "n": 5}, ctx)
    sid = int.from_bytes(good[1:5], "big")
    b64 = lambda b: base64.b64encode(bytes(b)).decode()
    status, answer = http("POST", "/v3/clusters/canon/topics/events/records", {"value": {"type": "BINARY", "data": b64(good)}})
    assert status == 200 and answer["offset"] == 0 and answer["value"] == {"type": "BINARY", "size": len(good)}, (status, answer)
    print("ok accepted")
    payload = bytearray(good[5:])  # enum 1, union 1 + "hi", "abc", 5
    other_id = client.lookup_schema("other-value", Schema(record("Other", [{"name": "x", "type": "long"}]), "AVRO")).schema_id
    cases = {
        "flipped union index": good[:6] + bytes([0x04]) + good[7:],
        "enum index out of range": good[:5] + bytes([0x0e]) + good[6:],
        "truncated string": good[:-3],
        "invalid UTF-8": good[:11] + bytes([0xff]) + good[12:],
        "trailing byte": good + b"\x00",
        "unknown schema ID": b"\x00" + (9999).to_bytes(4, "big") + bytes(payload),
        "ID under another subject": b"\x00" + other_id.to_bytes(4, "big") + bytes(payload),
        "magic byte 1": b"\x01" + good[1:],
        "no prefix": bytes(payload),
    }
    # Each refusal: its reason class (error_code), the schema path and the byte (from the start of the
    # framed value) it names. The payload is enum (byte 5), union index (6), "hi" (7-9), "abc" (10-13), n (14).
    expected = {
        "flipped union index": (42294, "/fields/1/type", 6),
        "enum index out of range": (42294, "/fields/0/type", 5),
        "truncated string": (42294, "/fields/2/type", 10),
        "invalid UTF-8": (42294, "/fields/2/type", 11),
        "trailing byte": (42294, "/", 15),
        "unknown schema ID": (42292, None, 1),
        "ID under another subject": (42293, None, 1),
        "magic byte 1": (42291, None, 0),
        "no prefix": (42291, None, 0),
    }
    for name, data in cases.items():
        status, answer = http("POST", "/v3/clusters/canon/topics/events/records", {"value": {"type": "BINARY", "data": b64(data)}})
        assert status == 422, (name, status, answer)
        err = answer["errors"][0]
        code, path, offset = expected[name]
        assert err["part"] == "value" and err["reason"], (name, answer)
        assert answer["error_code"] == code, (name, answer)
        assert err.get("path") == path and err.get("byte_offset") == offset, (name, answer)
        print("ok refused", name, "->", answer["error_code"], err.get("path"), err.get("byte_offset"), err["reason"])
    # A batch with one bad record stores nothing.
    status, answer = http("POST", "/v3/clusters/canon/topics/events/records:batch",
                          {"entries": [{"value": {"type": "BINARY", "data": b64(good)}}, {"value": {"type": "BINARY", "data": b64(cases["trailing byte"])}}]})
    assert status == 422 and [e["index"] for e in answer["errors"]] == [1], answer
    # Every refused entry is listed: two bad BINARY entries, then two AVRO entries the schema cannot encode.
    status, answer = http("POST", "/v3/clusters/canon/topics/events/records:batch",
                          {"entries": [{"value": {"type": "BINARY", "data": b64(good)}},
                                       {"value": {"type": "BINARY", "data": b64(cases["trailing byte"])}},
                                       {"value": {"type": "BINARY", "data": b64(cases["enum index out of range"])}}]})
    assert status == 422 and [e["index"] for e in answer["errors"]] == [1, 2], answer
    avro = lambda data: {"value": {"type": "AVRO", "subject": "events-value", "data": data}}
    status, answer = http("POST", "/v3/clusters/canon/topics/events/records:batch",
                          {"entries": [avro({"kind": "Z", "note": None, "name": "x", "n": 1}),
                                       avro({"kind": "A", "note": None, "name": "x", "n": 1}),
                                       avro({"kind": "A", "note": None, "name": "x", "n": "one"})]})
    assert status == 422 and [e["index"] for e in answer["errors"]] == [0, 2], answer
    status, answer = http("GET", "/v3/clusters/canon/topics/events/partitions/0/records?offset=0&max_records=10")
    assert status == 200 and len(answer["data"]) == 1, answer
    stored = base64.b64decode(answer["data"][0]["value"]["data"])
    assert stored == good
    de = AvroDeserializer(client)
    assert de(stored, ctx) == {"kind": "B", "note": "hi", "name": "abc", "n": 5}
    # The server encodes AVRO JSON with a registered schema; avro-json reads it back.
    status, answer = http("POST", "/v3/clusters/canon/topics/events/records",
                          {"value": {"type": "AVRO", "subject": "events-value", "data": {"kind": "C", "note": None, "name": "x", "n": -1}}})
    assert status == 200 and answer["offset"] == 1, answer
    status, answer = http("GET", "/v3/clusters/canon/topics/events/partitions/0/records?offset=1&format=avro-json")
    assert answer["data"][0]["value"] == {"type": "AVRO", "schema_id": sid, "data": {"kind": "C", "note": None, "name": "x", "n": -1}}, answer
    print("produce passed")


{"suite": suite, "populate": populate, "check": lambda: check(sys.argv[3]), "produce": produce}[mode]()
