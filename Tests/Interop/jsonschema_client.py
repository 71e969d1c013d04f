"""confluent-kafka's JSON Schema serializers, unmodified, against a running `canon serve`.

Usage: jsonschema_client.py URL   -- prints "ok <step>" lines and "json suite passed"; exits non-zero
                                     (with a traceback naming the step) on the first failure.
"""
import base64
import json
import sys
import urllib.error
import urllib.request

from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

url = sys.argv[1]
client = SchemaRegistryClient({"url": url})

ORDER = json.dumps({
    "$schema": "http://json-schema.org/draft-07/schema#", "title": "Order", "type": "object",
    "properties": {"id": {"type": "string"}, "price": {"type": "number", "minimum": 0}},
    "required": ["id"], "additionalProperties": False,
})
ORDER_V2 = json.dumps({
    "$schema": "http://json-schema.org/draft-07/schema#", "title": "Order", "type": "object",
    "properties": {"id": {"type": "string"}, "price": {"type": "number", "minimum": 0}, "note": {"type": "string"}},
    "required": ["id"], "additionalProperties": False,
})
ADDRESS = json.dumps({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]})
CUSTOMER = json.dumps({"title": "Customer", "type": "object", "properties": {"name": {"type": "string"}, "home": {"$ref": "address.json"}}})


def http(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url + path, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req) as r:
            text = r.read()
            return r.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def b64(b):
    return base64.b64encode(bytes(b)).decode()


def produce(topic, value):
    return http("POST", f"/v3/clusters/canon/topics/{topic}/records", {"value": {"type": "BINARY", "data": b64(value)}})


def main():
    assert "JSON" in client.get_schema_types(), client.get_schema_types()
    print("ok schema types")
    status, _ = http("POST", "/v3/clusters/canon/topics", {"topic_name": "orders", "partitions_count": 1,
                                                           "configs": [{"name": "value.schema.validation", "value": "full"}]})
    assert status == 201, status
    ctx = SerializationContext("orders", MessageField.VALUE)

    # auto.register.schemas on: the serializer registers the schema, frames the JSON with its ID.
    ser = JSONSerializer(ORDER, client, conf={"auto.register.schemas": True})
    good = ser({"id": "o-1", "price": 9.99}, ctx)
    sid = int.from_bytes(good[1:5], "big")
    assert good[0] == 0 and json.loads(good[5:]) == {"id": "o-1", "price": 9.99}, good
    registered = client.get_latest_version("orders-value")
    assert registered.schema_id == sid and registered.schema.schema_type == "JSON", registered
    print("ok auto-registered", sid)
    status, answer = produce("orders", good)
    assert status == 200 and answer["offset"] == 0, (status, answer)
    print("ok accepted under full")

    # Bytes that break the schema (the serializer itself refuses to write them): refused, naming the path.
    for name, payload, path in [
        ("negative price", {"id": "o-2", "price": -1}, "/price"),
        ("missing id", {"price": 1}, ""),
        ("extra property", {"id": "o-3", "coupon": "x"}, "/coupon"),
    ]:
        status, answer = produce("orders", good[:5] + json.dumps(payload).encode())
        assert status == 422 and answer["error_code"] == 42294, (name, status, answer)
        err = answer["errors"][0]
        assert err.get("path", "") == path and err["schema_id"] == sid, (name, answer)
        print("ok refused", name, "->", err.get("path"), err["reason"])
    status, answer = produce("orders", good[:5] + b'{"id": "o-4",')
    assert status == 422 and "not JSON" in answer["errors"][0]["reason"], answer
    print("ok refused truncated JSON")

    # auto.register.schemas off: the schema must be there; use.latest.version takes the subject's latest.
    client.register_schema("orders-value", Schema(ORDER_V2, "JSON"))
    fixed = JSONSerializer(ORDER, client, conf={"auto.register.schemas": False})
    assert int.from_bytes(fixed({"id": "o-5"}, ctx)[1:5], "big") == sid
    # (A new client: this one cached "latest" when it was version 1.)
    fresh = SchemaRegistryClient({"url": url})
    latest = JSONSerializer(ORDER_V2, fresh, conf={"auto.register.schemas": False, "use.latest.version": True})
    v2 = latest({"id": "o-6", "note": "gift"}, ctx)
    v2_id = fresh.get_latest_version("orders-value").schema_id
    assert int.from_bytes(v2[1:5], "big") == v2_id != sid
    status, answer = produce("orders", v2)
    assert status == 200, answer
    print("ok auto.register off, use.latest.version")
    try:
        JSONSerializer(json.dumps({"type": "object", "properties": {"id": {"type": "integer"}}}), client,
                       conf={"auto.register.schemas": False})({"id": 1}, ctx)
        raise AssertionError("an unregistered schema was used")
    except Exception as e:  # the client's lookup fails: 40403
        assert "40403" in str(e) or "not found" in str(e).lower(), e
    print("ok unregistered schema refused with auto.register off")

    # An incompatible version (BACKWARD): 409.
    try:
        client.register_schema("orders-value", Schema(json.dumps({"type": "object", "properties": {"id": {"type": "integer"}}}), "JSON"))
        raise AssertionError("incompatible schema registered")
    except SchemaRegistryError as e:
        assert e.http_status_code == 409, e
    print("ok incompatible refused (409)")

    # Schema references: a $ref naming a reference's name.
    client.register_schema("address-value", Schema(ADDRESS, "JSON"))
    customer = Schema(CUSTOMER, "JSON", [SchemaReference("address.json", "address-value", 1)])
    cid = client.register_schema("customers-value", customer)
    status, _ = http("POST", "/v3/clusters/canon/topics", {"topic_name": "customers", "configs": [{"name": "value.schema.validation", "value": "full"}]})
    assert status == 201
    cser = JSONSerializer(customer, client, conf={"auto.register.schemas": False, "use.latest.version": True})
    cctx = SerializationContext("customers", MessageField.VALUE)
    cbytes = cser({"name": "Ada", "home": {"city": "London"}}, cctx)
    assert int.from_bytes(cbytes[1:5], "big") == cid
    assert produce("customers", cbytes)[0] == 200
    status, answer = produce("customers", cbytes[:5] + json.dumps({"name": "Ada", "home": {"town": "x"}}).encode())
    assert status == 422 and answer["errors"][0].get("path") == "/home", answer
    print("ok references")

    # What was stored reads back and the deserializer (fetching the writer schema and its references) decodes it.
    status, answer = http("GET", "/v3/clusters/canon/topics/orders/partitions/0/records?offset=0")
    values = [base64.b64decode(r["value"]["data"]) for r in answer["data"]]
    de = JSONDeserializer(None, schema_registry_client=client)
    assert de(values[0], ctx) == {"id": "o-1", "price": 9.99}, values[0]
    assert de(values[-1], ctx) == {"id": "o-6", "note": "gift"}
    status, answer = http("GET", "/v3/clusters/canon/topics/customers/partitions/0/records?offset=0")
    cde = JSONDeserializer(None, schema_registry_client=client)
    assert cde(base64.b64decode(answer["data"][0]["value"]["data"]), cctx) == {"name": "Ada", "home": {"city": "London"}}
    # Consume decodes framed JSON for display, with the format's REST name.
    status, answer = http("GET", "/v3/clusters/canon/topics/orders/partitions/0/records?offset=0&format=avro-json")
    assert answer["data"][0]["value"] == {"type": "JSONSCHEMA", "schema_id": sid, "data": {"id": "o-1", "price": 9.99}}, answer["data"][0]
    # REST produce of a JSONSCHEMA value: encoded, framed and validated by the server.
    status, answer = http("POST", "/v3/clusters/canon/topics/orders/records",
                          {"value": {"type": "JSONSCHEMA", "subject": "orders-value", "data": {"id": "o-7"}}})
    assert status == 200, answer
    status, answer = http("POST", "/v3/clusters/canon/topics/orders/records",
                          {"value": {"type": "JSONSCHEMA", "schema_id": sid, "data": {"id": 7}}})
    assert status == 422, answer
    print("ok deserialized, consumed and REST-produced")
    print("json suite passed")


main()
