/// A schema format, by Confluent Schema Registry's name for it (`AVRO`, `JSON`, `PROTOBUF`).
///
/// Any name can be held (a request may name a format Canon does not serve); whether one is served is
/// the ``SchemaFormats`` in use's answer.
public struct SchemaType: RawRepresentable, Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The name, upper-case.
    public let rawValue: String

    /// The format named `rawValue`, in any case.
    public init(rawValue: String) { self.rawValue = rawValue.uppercased() }

    public init(stringLiteral value: String) { self.init(rawValue: value) }

    /// Confluent's `schemaType` field: absent means Avro.
    public init(confluentName: String?) { self.init(rawValue: confluentName ?? Self.avro.rawValue) }

    /// The `schemaType` field as Confluent writes it: omitted (nil) for Avro.
    public var confluentName: String? { self == .avro ? nil : rawValue }

    public var description: String { rawValue }

    public static let avro = SchemaType(rawValue: "AVRO")
    public static let json = SchemaType(rawValue: "JSON")
    public static let protobuf = SchemaType(rawValue: "PROTOBUF")
}

/// A schema format Canon serves: the one place that knows how its schemas are parsed, identified,
/// compared and used to check payloads. The registry, the write-time validator, the server and the CLI
/// hold every format through this protocol; each format implements it once, in its own module.
public protocol SchemaFormat: Sendable {
    /// The format's name in registry requests and answers.
    var type: SchemaType { get }
    /// Its name in REST Proxy v3 produce and consume bodies (`AVRO`, `JSONSCHEMA`, `PROTOBUF`).
    var restProxyName: String { get }
    /// A parser with no references loaded.
    func makeParser() -> any SchemaParser
    /// What stops `reader` from reading every payload written with `writer` (both of this format);
    /// empty when it can, under the subject's `policy` (nil: none configured). A pair that needs more
    /// than `budget` steps of work throws instead of giving a verdict.
    func incompatibilities(
        reader: any ParsedSchema, writer: any ParsedSchema, readerRole: SchemaRole, budget: Int, policy: CompatibilityPolicy?
    ) throws -> [CompatibilityMessage]
}

/// Parses schemas of one format, with the schemas they reference loaded first. A value: a copy with
/// references loaded can be kept and reused for every schema that references the same versions.
public protocol SchemaParser: Sendable {
    /// Loads a referenced schema (after what it references) under the `name` the referencing schema uses
    /// for it; `origin` names it in errors (e.g. `orders-value version 3`).
    mutating func load(reference name: String, schema text: String, origin: String) throws
    /// Parses a schema, which may use what is loaded.
    func parse(_ text: String) throws -> any ParsedSchema
}

/// A parsed schema of some format.
public protocol ParsedSchema: Sendable {
    var type: SchemaType { get }
    /// The text that decides identity: two registrations with equal texts (and equal references) are
    /// the same schema, with the same ID.
    var canonicalText: String { get }
    /// The text a `normalize=true` registration or lookup identifies the schema by.
    var normalizedText: String { get }
    /// The full text with referenced schemas resolved in place (what a client that inlines references
    /// sends, and what a verbose compatibility answer quotes).
    var resolvedText: String { get }
    /// The name RecordNameStrategy makes a subject of; nil when the schema names none.
    var recordName: String? { get }
    /// A validator for payloads written with this schema, compiled once.
    func makeValidator() -> any PayloadValidator
    /// Encodes a JSON rendering of a value as a payload (after the wire prefix).
    func encode(json: JSONValue) throws -> [UInt8]
    /// Decodes the payload `bytes[start...]` to its JSON rendering, within `limits`.
    func decodeJSON(_ bytes: [UInt8], from start: Int, limits: PayloadLimits) throws(PayloadError) -> JSONValue
}

/// Checks payloads against one schema (write-time validation's `full` level).
public protocol PayloadValidator: Sendable {
    /// Whether `bytes[start...]` is exactly one valid payload of the schema (the wire prefix before
    /// `start` is the caller's); throws what is wrong and where.
    func validatePayload(_ bytes: [UInt8], from start: Int, limits: PayloadLimits) throws(PayloadError)
}

/// Why a payload is not valid for its schema.
public struct PayloadError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    /// Where in the value, as a JSON path or pointer.
    public var path: String?
    /// Where in the payload (from its first byte after the wire prefix).
    public var byteOffset: Int?
    /// Whether a limit of ``PayloadLimits`` stopped the work (the payload may be valid).
    public var isLimit: Bool

    public init(message: String, path: String? = nil, byteOffset: Int? = nil, isLimit: Bool = false) {
        self.message = message
        self.path = path
        self.byteOffset = byteOffset
        self.isLimit = isLimit
    }

    public var description: String { message }
}

/// Limits that bound what decoding or validating one hostile payload can cost.
///
/// Every limit applies to one payload. Formats check block counts against the bytes left too, so a
/// declared count of 2^62 costs nothing before it is refused.
public struct PayloadLimits: Sendable, Hashable {
    /// Most items in one array or map (all blocks together). Default 4,194,304.
    public var maxCollectionItems: Int
    /// Longest string or bytes value, in bytes. Default 64 MiB.
    public var maxLength: Int
    /// Deepest nesting of records, arrays, maps and unions. Default 512 (as for JSON text).
    public var maxDepth: Int
    /// Most memory a generic decoded value may take, counted as value slots plus string/bytes payloads.
    /// Default 128 MiB.
    public var maxTotalSize: Int
    /// Most items that take no bytes (Avro's `null`, records of such fields, zero-size fixed) in all
    /// arrays and maps of one payload together. Other items are bounded by the input's size; these are
    /// not, so a few bytes can declare billions of them. Default 1,048,576.
    public var maxEmptyItems: Int

    public init(
        maxCollectionItems: Int = 1 << 22, maxLength: Int = 64 << 20, maxDepth: Int = 512, maxTotalSize: Int = 128 << 20,
        maxEmptyItems: Int = 1 << 20
    ) {
        self.maxCollectionItems = maxCollectionItems
        self.maxLength = maxLength
        self.maxDepth = maxDepth
        self.maxTotalSize = maxTotalSize
        self.maxEmptyItems = maxEmptyItems
    }

    /// The defaults above.
    public static let `default` = PayloadLimits()
}

/// The formats a registry or tool serves, by type.
public struct SchemaFormats: Sendable {
    private let byType: [SchemaType: any SchemaFormat]
    /// The served types, in the order given.
    public let types: [SchemaType]

    public init(_ formats: [any SchemaFormat]) {
        var byType: [SchemaType: any SchemaFormat] = [:]
        for format in formats where byType[format.type] == nil { byType[format.type] = format }
        self.byType = byType
        self.types = formats.map(\.type).reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
    }

    /// The format of a type; nil when it is not served.
    public subscript(type: SchemaType) -> (any SchemaFormat)? { byType[type] }

    /// The format whose REST Proxy v3 name is `name` (in any case).
    public func format(restProxyName name: String) -> (any SchemaFormat)? {
        let upper = name.uppercased()
        return types.lazy.compactMap { self.byType[$0] }.first { $0.restProxyName == upper }
    }
}

/// The compatibility levels' checker for any format: a pair of different formats is incompatible, a
/// pair of one format is that format's to judge.
public struct SchemaCompatibilityChecker: CompatibilityChecker {
    public typealias Schema = any ParsedSchema

    public let formats: SchemaFormats
    /// The most steps of work one pair may take (see ``SchemaFormat/incompatibilities(reader:writer:readerRole:budget:policy:)``).
    public let budget: Int
    /// The subject's compatibility policy.
    public let policy: CompatibilityPolicy?

    /// The budget when none is configured: 2,000,000 steps (about a second of one core for Avro).
    public static let defaultBudget = 2_000_000

    public init(formats: SchemaFormats, budget: Int = defaultBudget, policy: CompatibilityPolicy? = nil) {
        self.formats = formats
        self.budget = budget
        self.policy = policy
    }

    public func incompatibilities(reader: any ParsedSchema, writer: any ParsedSchema, readerRole: SchemaRole) throws
        -> [CompatibilityMessage]
    {
        guard reader.type == writer.type else {
            // Confluent's answer, word for word.
            return [
                CompatibilityMessage(
                    errorType: "SCHEMA_TYPE_MISMATCH", description: "Incompatible because of different schema type",
                    text: "Incompatible because of different schema type")
            ]
        }
        guard let format = formats[reader.type] else {
            throw SchemaFormatUnavailable(type: reader.type)
        }
        return try format.incompatibilities(reader: reader, writer: writer, readerRole: readerRole, budget: budget, policy: policy)
    }

    public func text(of schema: any ParsedSchema) -> String { schema.resolvedText }
}

/// A schema of a format that is not served was to be compared.
public struct SchemaFormatUnavailable: Error, Sendable, CustomStringConvertible {
    public var type: SchemaType
    public var description: String { "schemaType \(type) is not supported" }
}
