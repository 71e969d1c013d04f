import CanonCore
import CanonJSONSchema
import CanonRegistryClient
import Foundation

// The JSON Schema topic: RefundIssued and RefundsTopic are generated from schemas/RefundIssued.schema.json.

let refund = RefundIssued(
    orderId: placed.orderId.uuidString.lowercased(), amountCents: 1_999, reason: .damaged, method: .card(.init(last4: "4242")),
    note: "box crushed")

/// Offline: framed with IDs from a fixed source, read back with validation against the writer schema,
/// and a payload the schema refuses is refused with its place.
func refundsOffline() async throws {
    let source = FixedSchemaSource([
        5: (RefundsTopic.keySubject, RegisteredSchema(type: .json, text: String.jsonSchema)),
        6: (RefundsTopic.valueSubject, RegisteredSchema(type: .json, text: RefundIssued.jsonSchema)),
    ])
    let framed = try await RefundsTopic.serializer(source: source).serialize(key: key, value: refund)
    print("refunds: value \(String(decoding: framed.value.dropFirst(5), as: UTF8.self)) (schema ID \(framed.value[4]))")
    let read = try await RefundsTopic.deserializer(source: source, validates: true).deserialize(key: framed.key, value: framed.value)
    guard read.value == refund else { fail("the refund read back differs: \(read.value)") }
    var zero = refund
    zero.amountCents = 0
    do {
        _ = try await RefundsTopic.deserializer(source: source, validates: true).deserialize(
            key: framed.key, value: try zero.framed(schemaID: 6))
        fail("a refund of 0 cents was read")
    } catch let error as JSONTopicDecodingError {
        print("refund refused as expected: \(error)")
    }
}

/// Against `canon serve`: the serializer registers the JSON schema, the topic validates every value in
/// full, a refund breaking the schema is refused naming the place, and records read back validate.
func refundsAgainstTheRegistry(_ registry: RegistryClient) async throws {
    let base = "/v3/clusters/canon/topics"
    let topic = RefundsTopic.name
    try await createTopic(topic, validating: ["value.schema.validation"], on: registry)
    let framed = try await RefundsTopic.serializer(source: registry).serialize(key: key, value: refund)
    let answer = try await registry.send("POST", "\(base)/\(topic)/records", body: body(framed.key, framed.value))
    let offset = answer["offset"]?.int64Value ?? -1
    print("produced refund: offset \(offset), value schema ID \(ConfluentFraming.schemaID(framed.value))")

    var negative = refund
    negative.amountCents = -5  // below the schema's minimum 1
    do {
        let bad = try negative.framed(schemaID: ConfluentFraming.schemaID(framed.value))
        _ = try await registry.send("POST", "\(base)/\(topic)/records", body: body(framed.key, bad))
        fail("a refund breaking its schema was accepted")
    } catch let error as RegistryClientError {
        guard error.status == 422, error.message.contains("/amountCents") else { fail("expected a 422 naming /amountCents, got \(error)") }
        print("refund refused as expected: \(error.message)")
    }

    let read = try await registry.send("GET", "\(base)/\(topic)/partitions/0/records?offset=\(offset)&max_records=1&format=raw")
    guard case .array(let records)? = read["data"], let record = records.first,
        let k = record["key"]?["data"]?.stringValue.flatMap({ Data(base64Encoded: $0) }),
        let v = record["value"]?["data"]?.stringValue.flatMap({ Data(base64Encoded: $0) })
    else { fail("expected the refund back, got \(read)") }
    let back = try await RefundsTopic.deserializer(source: registry, validates: true).deserialize(key: [UInt8](k), value: [UInt8](v))
    guard back.key == key, back.value == refund else { fail("the refund read back differs: \(back.value)") }
    print("read back the refund, validated against schema \(ConfluentFraming.schemaID([UInt8](v)))")
}
