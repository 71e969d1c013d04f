import CanonAvro
import CanonCore
import CanonRegistryClient
import Foundation

// Produces and reads framed key/value events with the types the build plugin generated from
// schemas/*.avsc, schemas/*.schema.json and canon-codegen.json (OrderPlaced, OrderCancelled, Status,
// OrdersTopic, RefundIssued, RefundsTopic, ...).
//
//   OrdersExample                      offline: schema IDs from a fixed in-memory source
//   OrdersExample --registry URL       against `canon serve`: schemas registered through
//                                      CanonRegistryClient, records produced to a topic that validates
//                                      every value in full, a corrupted copy refused, records read back

@main
struct OrdersExample {
    static func main() async {
        let arguments = CommandLine.arguments
        do {
            if let flag = arguments.firstIndex(of: "--registry"), flag + 1 < arguments.count, let url = URL(string: arguments[flag + 1]) {
                try await againstTheRegistry(url)
            } else {
                try await offline()
            }
        } catch {
            fail("\(error)")
        }
    }
}

let placed = OrderPlaced(
    orderId: UUID(uuidString: "3f2b8c1e-9a4d-4e7b-8c2f-1a5d6e7f8091")!, customerId: 1_234_567_890_123,
    placedAt: Date(timeIntervalSinceReferenceDate: 721_692_800.123), status: .paid, total: Decimal(string: "12345.67")!,
    items: [LineItem(sku: "SKU-000123", quantity: 2, unitPrice: 19.99), LineItem(sku: "SKU-004567", quantity: 1, unitPrice: 249.5)],
    tags: ["channel": "web", "campaign": "black-friday"], couponCode: "SAVE10",
    shippingAddress: Address(street: "Hauptstrasse 123", city: "Berlin", zip: "10115", country: "DE"))
let cancelled = OrderCancelled(orderId: placed.orderId, previousStatus: placed.status)
let key = placed.orderId.uuidString.lowercased()

func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
func fail(_ message: String) -> Never {
    print("error: \(message)")
    exit(1)
}

func offline() async throws {
    let source = try FixedAvroSchemaSource([
        1: (OrdersTopic.keySubject, String.avroSchema),
        2: (OrdersTopic.valueSubject, OrderPlaced.avroSchema),
        3: (OrderCancellationsTopic.keySubject, String.avroSchema),
        4: (OrderCancellationsTopic.valueSubject, OrderCancelled.avroSchema),
    ])
    let orders = try await OrdersTopic.serializer(source: source).serialize(key: key, value: placed)
    let cancellations = try await OrderCancellationsTopic.serializer(source: source).serialize(key: key, value: cancelled)
    print("orders: key \(hex(orders.key))")
    print("orders: value \(orders.value.count) bytes, schema ID \(orders.value[4]): \(hex(Array(orders.value.prefix(16))))...")
    print("order-cancellations: value \(hex(cancellations.value))")

    let readOrder = try await OrdersTopic.deserializer(source: source).deserialize(key: orders.key, value: orders.value)
    let readCancel = try await OrderCancellationsTopic.deserializer(source: source).deserialize(
        key: cancellations.key, value: cancellations.value)
    guard readOrder.value == placed, readCancel.value == cancelled, readCancel.value.reason == "customer request" else {
        fail("events read back differ from what was written")
    }
    print(
        "read back \(readOrder.value.items.count) line items, total \(readOrder.value.total) \(readOrder.value.currency), then \(readCancel.value.previousStatus) -> cancelled (\(readCancel.value.reason))"
    )
    try await refundsOffline()
    print("ok")
}

/// Creates a one-partition topic through REST Proxy v3 that validates `validating` (e.g.
/// `value.schema.validation`) in full; a topic that exists already is fine.
func createTopic(_ topic: String, validating: [String], on registry: RegistryClient) async throws {
    do {
        _ = try await registry.send(
            "POST", "/v3/clusters/canon/topics",
            body: .object([
                "topic_name": .string(topic), "partitions_count": .int(1),
                "configs": .array(validating.map { .object(["name": .string($0), "value": .string("full")]) }),
            ]))
    } catch {
        guard error.code == 40002 else { throw error }  // REST Proxy v3: the topic already exists
        print("topic \(topic) exists already")
    }
}

/// A REST Proxy v3 produce body: one record of raw (already framed) key and value bytes, partition 0.
func body(_ key: [UInt8], _ value: [UInt8]) -> JSONValue {
    .object([
        "partition_id": .int(0),
        "key": .object(["type": .string("BINARY"), "data": .string(Data(key).base64EncodedString())]),
        "value": .object(["type": .string("BINARY"), "data": .string(Data(value).base64EncodedString())]),
    ])
}

func againstTheRegistry(_ url: URL) async throws {
    let registry = RegistryClient(url: url)  // registers the generated schemas on first use
    let base = "/v3/clusters/canon/topics"
    let topic = OrdersTopic.name
    try await createTopic(topic, validating: ["key.schema.validation", "value.schema.validation"], on: registry)
    let events = [
        placed,
        OrderPlaced(
            orderId: UUID(), customerId: -1, placedAt: Date(timeIntervalSince1970: 0), status: .pending, total: 0, items: [], tags: [:]),
    ]
    let serializer = OrdersTopic.serializer(source: registry)
    var firstOffset: Int64?
    for event in events {
        let framed = try await serializer.serialize(key: event.orderId.uuidString.lowercased(), value: event)
        let answer = try await registry.send("POST", "\(base)/\(topic)/records", body: body(framed.key, framed.value))
        let offset = answer["offset"]?.int64Value ?? -1
        firstOffset = firstOffset ?? offset
        print(
            "produced: offset \(offset), value schema ID \(Int(framed.value[1]) << 24 | Int(framed.value[2]) << 16 | Int(framed.value[3]) << 8 | Int(framed.value[4]))"
        )
    }
    // A corrupted copy (the status enum index made 9, past the 4 symbols) is refused under `full`.
    let good = try await serializer.serialize(key: key, value: placed)
    var corrupt = good.value
    let statusOffset =
        5 + 37 + AvroBinaryWriter.encodedSize(ofLong: placed.customerId) + AvroBinaryWriter.encodedSize(ofLong: 1_700_000_000_123)
    corrupt[statusOffset] = 18  // zig-zag of 9
    do {
        _ = try await registry.send("POST", "\(base)/\(topic)/records", body: body(good.key, corrupt))
        fail("a corrupt record was accepted")
    } catch {
        guard error.status == 422 else { fail("expected a 422 refusal, got \(error)") }
        print("refused as expected: \(error.message)")
    }
    // Read back (raw wire bytes) and decode with the generated types.
    let read = try await registry.send(
        "GET", "\(base)/\(topic)/partitions/0/records?offset=\(firstOffset ?? 0)&max_records=\(events.count)&format=raw")
    guard case .array(let records)? = read["data"], records.count == events.count else {
        fail("expected \(events.count) records, got \(read)")
    }
    let deserializer = OrdersTopic.deserializer(source: registry)
    for (record, event) in zip(records, events) {
        guard let k = record["key"]?["data"]?.stringValue.flatMap({ Data(base64Encoded: $0) }),
            let v = record["value"]?["data"]?.stringValue.flatMap({ Data(base64Encoded: $0) })
        else { fail("record without key or value: \(record)") }
        let (readKey, readValue) = try await deserializer.deserialize(key: [UInt8](k), value: [UInt8](v))
        guard readKey == event.orderId.uuidString.lowercased(), readValue == event else { fail("record read back differs: \(readValue)") }
    }
    print("read back \(records.count) records equal to what was produced")
    try await refundsAgainstTheRegistry(registry)
    print("ok")
}
