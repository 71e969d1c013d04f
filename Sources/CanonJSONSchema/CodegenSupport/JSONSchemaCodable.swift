import CanonCore
import Foundation

/// A type generated from a JSON Schema: `Codable` in the schema's JSON shape, and carrying the schema
/// it was generated from (what its topic serializer registers).
public protocol JSONSchemaCodable: Codable, Sendable {
    /// The schema of this type, as JSON text: the schema file it was generated from, self-contained.
    static var jsonSchema: String { get }
}

extension JSONSchemaCodable {
    /// The value as JSON bytes, keys sorted.
    public func jsonBytes() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }

    /// Decodes a value from JSON bytes.
    public init(jsonBytes: some Collection<UInt8>) throws {
        self = try JSONDecoder().decode(Self.self, from: Data(jsonBytes))
    }

    /// The value in Confluent's wire format: magic byte 0, the schema ID, the JSON.
    public func framed(schemaID: Int32) throws -> [UInt8] {
        ConfluentFraming.prefix(schemaID: schemaID) + (try jsonBytes())
    }
}

/// A JSON topic's `string` key: registered as `{"type":"string"}`, written as a JSON string.
extension String: JSONSchemaCodable {
    public static var jsonSchema: String { #"{"type":"string"}"# }
}

/// Holds a value behind a reference, so a generated struct can contain a value of its own type
/// (`parent: Node?`) and stay a `Sendable` value type.
public indirect enum JSONIndirect<Value> {
    case value(Value)

    /// The value held.
    @inlinable
    public var wrapped: Value {
        get {
            switch self {
            case .value(let v): return v
            }
        }
        set { self = .value(newValue) }
    }
}

extension JSONIndirect: Sendable where Value: Sendable {}
extension JSONIndirect: Equatable where Value: Equatable {}
extension JSONIndirect: Hashable where Value: Hashable {}

/// The kind of JSON value a decoder holds: what generated `oneOf`/`anyOf` enums decide their case by
/// before decoding it.
public enum JSONShape: Sendable, Hashable {
    case null, bool, number, string, array, object

    /// The kind of the value `decoder` holds (probing its containers; nothing is consumed).
    public static func of(_ decoder: any Decoder) throws -> JSONShape {
        if (try? decoder.container(keyedBy: JSONCodingKey.self)) != nil { return .object }
        if (try? decoder.unkeyedContainer()) != nil { return .array }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() { return .null }
        if (try? single.decode(Bool.self)) != nil { return .bool }
        if (try? single.decode(String.self)) != nil { return .string }
        return .number
    }

    /// The error a generated enum throws when no case takes the value's kind.
    public static func mismatch(_ type: Any.Type, _ decoder: any Decoder, expected: String) -> DecodingError {
        DecodingError.typeMismatch(
            type, DecodingError.Context(codingPath: decoder.codingPath, debugDescription: "expected \(expected)"))
    }
}

/// A coding key for any property name: generated types use it for the members `additionalProperties`
/// admits and for `oneOf` discriminators.
public struct JSONCodingKey: CodingKey, Hashable, Sendable {
    /// The property name.
    public var stringValue: String
    /// Always `nil`: JSON objects have names only.
    public var intValue: Int? { nil }

    /// The key of the property `name`.
    public init(_ name: String) { stringValue = name }
    /// The key of the property `stringValue`.
    public init(stringValue: String) { self.stringValue = stringValue }
    /// Always `nil`: JSON objects have names only.
    public init?(intValue: Int) { nil }
}

extension KeyedDecodingContainer where Key == JSONCodingKey {
    /// Decodes a `const` property: it must be present (when `required`) and equal `expected`.
    public func decodeConstant<T: Decodable & Equatable>(_ expected: T, forKey key: String, required: Bool) throws {
        let codingKey = JSONCodingKey(key)
        guard contains(codingKey) else {
            if required {
                throw DecodingError.keyNotFound(
                    codingKey, DecodingError.Context(codingPath: codingPath, debugDescription: "the constant \(key) is required"))
            }
            return
        }
        let value = try decode(T.self, forKey: codingKey)
        guard value == expected else {
            throw DecodingError.dataCorruptedError(
                forKey: codingKey, in: self, debugDescription: "\(key) must be \(expected), not \(value)")
        }
    }

    /// A property that may hold any JSON: `nil` when absent, `.null` when null (`decodeIfPresent` reads
    /// both as `nil`).
    public func decodeAnyIfPresent(forKey key: String) throws -> JSONValue? {
        let codingKey = JSONCodingKey(key)
        return contains(codingKey) ? try decode(JSONValue.self, forKey: codingKey) : nil
    }

    /// The members not named in `known`, each decoded as `T`: what `additionalProperties` admits.
    public func decodeAdditional<T: Decodable>(_ type: T.Type, excluding known: Set<String>) throws -> [String: T] {
        var out: [String: T] = [:]
        for key in allKeys where !known.contains(key.stringValue) { out[key.stringValue] = try decode(T.self, forKey: key) }
        return out
    }
}

extension KeyedEncodingContainer where Key == JSONCodingKey {
    /// Encodes the members `additionalProperties` admits, in key order.
    public mutating func encodeAdditional<T: Encodable>(_ members: [String: T]) throws {
        for (key, value) in members.sorted(by: { $0.key < $1.key }) { try encode(value, forKey: JSONCodingKey(key)) }
    }
}
