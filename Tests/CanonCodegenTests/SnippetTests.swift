import Testing

@testable import CanonCodegen

/// Small schemas and the Swift they become, in the style of swift-openapi-generator's snippet tests: each
/// test names one construct and the exact lines it must produce.
@Suite struct SnippetTests {
    static func generate(_ schemas: [String], config: String? = nil) throws -> String {
        let files = schemas.enumerated().map { SourceFile(path: "s\($0.offset).avsc", contents: $0.element) }
        return try CanonCodegen.generate(schemaFiles: files, config: config.map { SourceFile(path: "canon-codegen.json", contents: $0) })
            .map(\.contents).joined(separator: "\n")
    }

    static func expectSnippet(_ output: String, _ snippet: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(output.contains(snippet), "missing:\n\(snippet)\nin:\n\(output)", sourceLocation: sourceLocation)
    }

    @Test func anEnumReadsUnknownSymbolsAsItsDefault() throws {
        let output = try Self.generate([
            #"{"type":"enum","name":"Suit","namespace":"cards","symbols":["HEARTS","SPADES"],"default":"SPADES"}"#
        ])
        Self.expectSnippet(
            output,
            """
                case hearts = "HEARTS"
                case spades = "SPADES"

                /// Reads a symbol written with this enum's schema.
                public init(from reader: inout CanonAvro.AvroReader) throws(CanonAvro.AvroError) {
                    switch try reader.readEnumIndex(symbolCount: 2) {
                    case 0:
                        self = .hearts
                    default:
                        self = .spades
                    }
                }
            """)
    }

    @Test func anOptionalFieldWithANullDefaultIsAnOptionalParameter() throws {
        let output = try Self.generate([
            #"{"type":"record","name":"Card","namespace":"cards","fields":[{"name":"rank","type":"int"},{"name":"note","type":["null","string"],"default":null}]}"#
        ])
        Self.expectSnippet(
            output,
            """
            public struct Card: CanonAvro.AvroRecord {
                public var rank: Swift.Int32
                public var note: Swift.String?

                /// Creates a value; fields with a schema default may be left out.
                public init(rank: Swift.Int32, note: Swift.String? = nil) {
            """)
        Self.expectSnippet(
            output,
            "self.note = try reader.readOptional(nullIndex: 0, { (r1: inout CanonAvro.AvroReader) throws(CanonAvro.AvroError) -> Swift.String in try r1.readString() })"
        )
    }

    @Test func aKeywordFieldNameIsEscaped() throws {
        let output = try Self.generate([
            #"{"type":"record","name":"K","fields":[{"name":"default","type":"boolean"},{"name":"self","type":"long"}]}"#
        ])
        Self.expectSnippet(output, "public var `default`: Swift.Bool")
        Self.expectSnippet(output, "public var `self`: Swift.Int64")
    }

    @Test func aTopicDescriptorNamesItsSubjectsByTheStrategy() throws {
        let output = try Self.generate(
            [#"{"type":"record","name":"Order","namespace":"shop","fields":[]}"#],
            config: #"{"subjectNameStrategy":"TopicRecordNameStrategy","topics":[{"topic":"orders","key":"string","value":"Order"}]}"#)
        Self.expectSnippet(
            output,
            """
            public enum OrdersTopic: CanonAvro.AvroTopic {
                public typealias Key = Swift.String
                public typealias Value = Order
                public static let name: Swift.String = "orders"
                public static let keySubject: Swift.String = "orders-string"
                public static let valueSubject: Swift.String = "orders-shop.Order"
            """)
    }
}
