#!/usr/bin/env python3
"""confluent-kafka producing XML records to `canon serve --kafka-port` (see RegistryInteropTests).

    kafka_xml_client.py REGISTRY_URL BOOTSTRAP

registers an XML Schema under `invoices-value`, creates the topic `invoices` validating values in full,
produces Confluent-framed XML records (magic 0, the 4-byte schema ID, the document), each in its own
batch: valid ones, one breaking a facet and one with a DTD, then reads the partition back.
Prints {"reports": [[label, error or null, offset]...], "read": [document...]}.
"""
import json
import struct
import sys
import urllib.request

from confluent_kafka import Consumer, Producer, TopicPartition, OFFSET_BEGINNING

url, bootstrap = sys.argv[1], sys.argv[2]


def post(path, body, content_type="application/json"):
    request = urllib.request.Request(url + path, method="POST", headers={"Content-Type": content_type},
                                     data=json.dumps(body).encode())
    return json.load(urllib.request.urlopen(request, timeout=10))


schema = """<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="invoice">
    <xs:complexType>
      <xs:sequence><xs:element name="amount"><xs:simpleType><xs:restriction base="xs:decimal">
        <xs:minInclusive value="0"/></xs:restriction></xs:simpleType></xs:element></xs:sequence>
      <xs:attribute name="id" type="xs:string" use="required"/>
    </xs:complexType>
  </xs:element>
</xs:schema>"""
schema_id = post("/subjects/invoices-value/versions", {"schemaType": "XSD", "schema": schema},
                 "application/vnd.schemaregistry.v1+json")["id"]
post("/v3/clusters/canon/topics", {"topic_name": "invoices", "partitions_count": 1,
                                   "configs": [{"name": "value.schema.validation", "value": "full"}]})

producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 0, "retries": 0})
reports = []


def send(label, document):
    def report(err, msg):
        reports.append([label, err.name() if err else None, msg.offset() if err is None else None])
    value = b"\x00" + struct.pack(">I", schema_id) + document.encode()
    producer.produce("invoices", value=value, partition=0, on_delivery=report)
    producer.flush(20)


send("good-1", '<invoice id="i1"><amount>10.50</amount></invoice>')
send("negative", '<invoice id="i2"><amount>-1</amount></invoice>')
send("dtd", '<!DOCTYPE invoice [<!ENTITY x SYSTEM "file:///etc/passwd">]><invoice id="&x;"><amount>1</amount></invoice>')
send("good-2", '<invoice id="i3"><amount>0</amount></invoice>')

consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "invoices-check", "enable.auto.commit": False})
consumer.assign([TopicPartition("invoices", 0, OFFSET_BEGINNING)])
read = []
while len(read) < 2:
    msg = consumer.poll(20)
    if msg is None:
        break
    if msg.error():
        continue
    read.append(msg.value()[5:].decode())
consumer.close()
print(json.dumps({"reports": reports, "read": read}))
