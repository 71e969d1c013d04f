import CanonCore
import CanonJSONSchema
import CanonTestSupport
import Foundation
import Testing

/// A generated JSON Schema type with its coding behind closures, so tests can take every type as an
/// argument.
struct GeneratedJSONType: CustomStringConvertible, Sendable {
    let description: Swift.String
    let schema: Swift.String
    /// Decodes JSON bytes and encodes the value again.
    let roundTrip: @Sendable ([UInt8]) throws -> [UInt8]

    init<T: JSONSchemaCodable>(_ type: T.Type) {
        description = "\(T.self)"
        schema = T.jsonSchema
        roundTrip = { bytes in try T(jsonBytes: bytes).jsonBytes() }
    }

    static let all: [GeneratedJSONType] = [
        GeneratedJSONType(Purchase.self), GeneratedJSONType(PostalAddress.self), GeneratedJSONType(Shipment.self),
        GeneratedJSONType(Category.self), GeneratedJSONType(Measurement.self),
    ]
}

/// The types generated from the golden JSON schemas (`Tests/CanonCodegenTests/Schemas/json`).
@Suite struct JSONGeneratedTypeTests {
    /// Values Python makes (and Python `jsonschema` checks) decode into the generated types and encode
    /// back to equal JSON, which Python compares (key order aside) and validates again.
    @Test func valuesMadeInPythonRoundTripToEqualJSON() throws {
        let produced = try pythonPeer("jsonschema_codegen_peer.py", ["produce", "7", "150"])
        let types = Dictionary(uniqueKeysWithValues: GeneratedJSONType.all.map { ($0.description, $0) })
        var rows = ""
        var counts: [Swift.String: Int] = [:]
        for line in produced.split(separator: "\n") {
            let row = try JSONReader.parse(Swift.String(line))
            let name = try #require(row["type"]?.stringValue)
            let type = try #require(types[name], "no generated type \(name)")
            let original = try #require(row["value"])
            let roundTrip = try type.roundTrip(Array(original.jsonText.utf8))
            let back = try JSONReader.parse(Swift.String(decoding: roundTrip, as: UTF8.self))
            rows += JSONValue.object(["type": .string(name), "original": original, "roundtrip": back]).jsonText + "\n"
            counts[name, default: 0] += 1
        }
        #expect(counts.count == 5 && counts.values.allSatisfy { $0 == 150 })
        let verdict = try pythonPeer("jsonschema_codegen_peer.py", ["compare"], input: Array(rows.utf8))
        #expect(verdict.contains("checked 750"))
    }

    /// Each type's `jsonSchema` is self-contained (other files' schemas bundled in) and compiles, and
    /// what the type encodes is valid under it.
    @Test(arguments: GeneratedJSONType.all)
    func theEmbeddedSchemaIsSelfContainedAndAdmitsWhatTheTypeWrites(_ type: GeneratedJSONType) throws {
        let validator = try JSONSchemaValidator(schema: try JSONReader.parse(type.schema))
        let produced = try pythonPeer("jsonschema_codegen_peer.py", ["produce", "11", "20"])
        var checked = 0
        for line in produced.split(separator: "\n") {
            let row = try JSONReader.parse(Swift.String(line))
            guard row["type"]?.stringValue == type.description, let value = row["value"] else { continue }
            let written = try JSONReader.parse(Swift.String(decoding: try type.roundTrip(Array(value.jsonText.utf8)), as: UTF8.self))
            #expect(validator.validate(written) == nil, "\(type): \(written.jsonText)")
            checked += 1
        }
        #expect(checked == 20)
    }

    @Test func aBuiltValueEncodesToTheSchemasShape() throws {
        let purchase = Purchase(
            purchaseId: "0f8fad5b-d9cb-469f-a165-70867728950e", version: 2, quantity: 3, total: 9.5, status: .inTransit, note: nil,
            lines: [.init(sku: "A-1", count: 2, unitPrice: 4.75)], shipTo: PostalAddress(street: "Main St 1", city: "Berlin", country: .de),
            payment: .card(Card(last4: "0042")), discount: .string("10%"), reading: .integer(-3), self: "me",
            additionalProperties: ["x-source": .string("test"), "x-none": Purchase.AdditionalProperty?.none])
        let json = try JSONReader.parse(Swift.String(decoding: try purchase.jsonBytes(), as: UTF8.self))
        #expect(json["kind"] == JSONValue.string("purchase"))
        #expect(json["version"] == JSONValue.int(2))
        #expect(json["status"] == JSONValue.string("in-transit"))
        #expect(json["note"] == JSONValue.null, "a required nullable property is written as null")
        #expect(json["gift"] == nil, "an absent optional property is left out")
        #expect(json["extra"] == nil)
        #expect(json["lines"]?.jsonText == #"[{"count":2,"sku":"A-1","unit-price":4.75}]"#)
        #expect(json["payment"]?.jsonText == #"{"last4":"0042","method":"card"}"#)
        #expect(json["reading"] == JSONValue.int(-3))
        #expect(json["self"] == JSONValue.string("me"))
        #expect(json["x-source"] == JSONValue.string("test"))
        #expect(json["x-none"] == JSONValue.null)
        #expect(try Purchase(jsonBytes: try purchase.jsonBytes()) == purchase)
        let validator = try JSONSchemaValidator(schema: try JSONReader.parse(Purchase.jsonSchema))
        #expect(validator.validate(json) == nil)
    }

    @Test func aTypeContainingItselfIsAValue() throws {
        var leaf = Category(name: "leaf")
        leaf.parent = Category(name: "middle", parent: Category(name: "root"))
        leaf.children = [Category(name: "child")]
        let back = try Category(jsonBytes: try leaf.jsonBytes())
        #expect(back == leaf)
        #expect(back.parent?.parent?.name == "root")
        #expect(
            Swift.String(decoding: try leaf.jsonBytes(), as: UTF8.self).contains(#""parent":{"name":"middle","parent":{"name":"root"}}"#))
    }

    /// Unions decide their case by the value's kind, then by the discriminating `const`; a value no case
    /// takes is refused with an error naming what was expected, and a wrong constant names the property.
    @Test func unionsAndConstantsRefuseWhatTheSchemaRefuses() throws {
        func decode<T: Decodable>(_ type: T.Type, _ json: Swift.String) throws -> T {
            try JSONDecoder().decode(T.self, from: Foundation.Data(json.utf8))
        }
        #expect(try decode(Measurement.self, "1.5") == .number(1.5))
        #expect(try decode(Measurement.self, #""3 m""#) == Measurement.string("3 m"))
        #expect(try decode(Measurement.self, "[1,2]") == .array([1, 2]))
        #expect(try decode(Purchase.Payment.self, #"{"method":"bank","iban":"DE00"}"#) == .bank(.init(iban: "DE00")))
        let unknown = #expect(throws: DecodingError.self) { try decode(Purchase.Payment.self, #"{"method":"cash"}"#) }
        #expect("\(unknown!)".contains("method to be one of card, bank"))
        let wrongKind = #expect(throws: DecodingError.self) { try decode(Measurement.self, "true") }
        #expect("\(wrongKind!)".contains("one of: array, number, string"))
        let constant = #expect(throws: DecodingError.self) { try decode(Card.self, #"{"method":"bank","last4":"0042"}"#) }
        #expect("\(constant!)".contains("method must be card"))
        #expect(throws: DecodingError.self) { try decode(Status.self, #""SHIPPED""#) }
    }

    /// The topic serializer frames JSON with the registered ID; the deserializer, asked to validate,
    /// refuses a payload its writer schema refuses, naming the place.
    @Test func topicSerializersFrameJSONAndValidateOnRequest() async throws {
        let source = FixedSchemaSource([
            7: ("purchases-value", RegisteredSchema(type: .json, text: Purchase.jsonSchema)),
            8: ("purchases-key", RegisteredSchema(type: .json, text: Swift.String.jsonSchema)),
        ])
        let purchase = Purchase(
            purchaseId: "0f8fad5b-d9cb-469f-a165-70867728950e", quantity: 1, total: 1, status: .paid, lines: [],
            payment: .bank(.init(iban: "DE00")))
        let (key, value) = try await PurchasesTopic.serializer(source: source).serialize(key: "k1", value: purchase)
        #expect(Array(key.prefix(5)) == [0, 0, 0, 0, 8] && Array(value.prefix(5)) == [0, 0, 0, 0, 7])
        #expect(Swift.String(decoding: key.dropFirst(5), as: UTF8.self) == #""k1""#)
        let read = try await PurchasesTopic.deserializer(source: source, validates: true).deserialize(key: key, value: value)
        #expect(read.key == "k1" && read.value == purchase)

        var bad = purchase
        bad.quantity = 0
        let badValue = try bad.framed(schemaID: 7)
        let error = await #expect(throws: JSONTopicDecodingError.self) {
            _ = try await PurchasesTopic.deserializer(source: source, validates: true).deserialize(key: key, value: badValue)
        }
        #expect(error?.schemaID == 7 && error?.path == "/quantity")
        let unchecked = try await PurchasesTopic.deserializer(source: source).deserialize(key: key, value: badValue)
        #expect(unchecked.value.quantity == 0)
        await #expect(throws: JSONTopicDecodingError.self) {
            _ = try await PurchasesTopic.deserializer(source: source).deserialize(key: [1, 0, 0, 0, 8], value: value)
        }
    }
}
