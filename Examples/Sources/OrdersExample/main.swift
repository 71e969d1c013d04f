import CanonAvro
import Foundation

// Produces and reads framed key/value events with the types the build plugin generated from
// schemas/*.avsc and canon-codegen.json (OrderPlaced, OrderCancelled, Status, OrdersTopic, ...).
// Schema IDs come from a fixed in-memory source here; with a registry, use CanonRegistryClient's source.

let source = try FixedAvroSchemaSource([
    1: (OrdersTopic.keySubject, String.avroSchema),
    2: (OrdersTopic.valueSubject, OrderPlaced.avroSchema),
    3: (OrderCancellationsTopic.keySubject, String.avroSchema),
    4: (OrderCancellationsTopic.valueSubject, OrderCancelled.avroSchema),
])

let placed = OrderPlaced(
    orderId: UUID(uuidString: "3f2b8c1e-9a4d-4e7b-8c2f-1a5d6e7f8091")!, customerId: 1_234_567_890_123,
    placedAt: try AvroTimestampMillis.date(1_700_000_000_123), status: .paid, total: Decimal(string: "12345.67")!,
    items: [LineItem(sku: "SKU-000123", quantity: 2, unitPrice: 19.99), LineItem(sku: "SKU-004567", quantity: 1, unitPrice: 249.5)],
    tags: ["channel": "web", "campaign": "black-friday"], couponCode: "SAVE10",
    shippingAddress: Address(street: "Hauptstrasse 123", city: "Berlin", zip: "10115", country: "DE"))
let cancelled = OrderCancelled(orderId: placed.orderId, previousStatus: placed.status)

let orders = try await OrdersTopic.serializer(source: source).serialize(key: placed.orderId.uuidString.lowercased(), value: placed)
let cancellations = try await OrderCancellationsTopic.serializer(source: source).serialize(key: placed.orderId.uuidString.lowercased(), value: cancelled)
func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
print("orders: key \(hex(orders.key))")
print("orders: value \(orders.value.count) bytes, schema ID \(orders.value[4]): \(hex(Array(orders.value.prefix(16))))...")
print("order-cancellations: value \(hex(cancellations.value))")

let readOrder = try await OrdersTopic.deserializer(source: source).deserialize(key: orders.key, value: orders.value)
let readCancel = try await OrderCancellationsTopic.deserializer(source: source).deserialize(key: cancellations.key, value: cancellations.value)
guard readOrder.value == placed, readCancel.value == cancelled, readCancel.value.reason == "customer request" else {
    print("error: events read back differ from what was written")
    exit(1)
}
print("read back \(readOrder.value.items.count) line items, total \(readOrder.value.total) \(readOrder.value.currency), then \(readCancel.value.previousStatus) -> cancelled (\(readCancel.value.reason))")
print("ok")
