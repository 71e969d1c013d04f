import CanonCore

/// The one error type of the Avro runtime: a code to switch on, a message that says what is wrong,
/// and where (a JSON pointer into a schema or datum, a byte offset into binary data, a file).
public struct AvroError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is. Extensible: new codes are added as static members.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The schema text is not valid JSON.
        public static let invalidJSON = Code(rawValue: "invalid-json")
        /// The schema breaks a rule of the Avro specification (the message names the rule).
        public static let invalidSchema = Code(rawValue: "invalid-schema")
        /// A type name that no primitive or earlier definition gives.
        public static let unknownType = Code(rawValue: "unknown-type")
        /// A named type defined twice.
        public static let redefinedName = Code(rawValue: "redefined-name")
        /// A name, namespace or enum symbol that is not a valid Avro name.
        public static let invalidName = Code(rawValue: "invalid-name")
        /// Two fields of one record with the same name.
        public static let duplicateField = Code(rawValue: "duplicate-field")
        /// A field default that does not match the field's type.
        public static let invalidDefault = Code(rawValue: "invalid-default")
        /// Binary input ended before the datum did.
        public static let truncated = Code(rawValue: "truncated")
        /// Binary input that no valid encoding produces (overlong varint, bad index, invalid UTF-8, ...).
        public static let malformedData = Code(rawValue: "malformed-data")
        /// Bytes left after a complete datum.
        public static let trailingBytes = Code(rawValue: "trailing-bytes")
        /// A configured decoding limit (items, length, depth, total size) was exceeded.
        public static let limitExceeded = Code(rawValue: "limit-exceeded")
        /// A datum (generic value or JSON) that does not match its schema.
        public static let datumMismatch = Code(rawValue: "datum-mismatch")
        /// An object container file that is not valid, or uses an unsupported feature.
        public static let invalidContainer = Code(rawValue: "invalid-container")
        /// A container file codec this build does not support.
        public static let unsupportedCodec = Code(rawValue: "unsupported-codec")
        /// A single-object encoding whose header or fingerprint does not match.
        public static let invalidSingleObject = Code(rawValue: "invalid-single-object")
    }

    /// Where an error was found. Any combination of the parts may be present.
    public struct Location: Sendable, Hashable, CustomStringConvertible {
        /// A file name, when the input came from one.
        public var file: String?
        /// A JSON pointer (`/fields/2/type/items`) into the schema or JSON datum.
        public var jsonPath: String?
        /// A byte offset into binary input.
        public var byteOffset: Int?
        /// 1-based line and column in JSON text.
        public var line: Int?
        public var column: Int?

        public init(file: String? = nil, jsonPath: String? = nil, byteOffset: Int? = nil, line: Int? = nil, column: Int? = nil) {
            self.file = file
            self.jsonPath = jsonPath
            self.byteOffset = byteOffset
            self.line = line
            self.column = column
        }

        public var description: String {
            var parts: [String] = []
            if let file { parts.append(file) }
            if let line, let column {
                parts.append("line \(line), column \(column)")
            } else if let byteOffset {
                parts.append("at byte \(byteOffset)")
            }
            if let jsonPath { parts.append("at \(jsonPath.isEmpty ? "/" : jsonPath)") }
            return parts.joined(separator: " ")
        }
    }

    public var code: Code
    public var message: String
    public var location: Location

    public init(_ code: Code, _ message: String, location: Location = Location()) {
        self.code = code
        self.message = message
        self.location = location
    }

    public var description: String {
        let where_ = location.description
        return where_.isEmpty ? message : "\(where_): \(message)"
    }

    static func schema(_ message: String, path: String) -> AvroError {
        schema(.invalidSchema, message, path: path)
    }

    static func schema(_ code: Code, _ message: String, path: String) -> AvroError {
        AvroError(code, message, location: Location(jsonPath: path.isEmpty ? "/" : path))
    }

    @usableFromInline
    static func data(_ code: Code, _ message: String, offset: Int) -> AvroError {
        AvroError(code, message, location: Location(byteOffset: offset))
    }

    /// The same error, with `file` recorded as where it came from.
    public func inFile(_ file: String) -> AvroError {
        var copy = self
        copy.location.file = file
        return copy
    }

    init(json error: JSONError, file: String? = nil) {
        self.init(
            .invalidJSON, error.message, location: Location(file: file, byteOffset: error.offset, line: error.line, column: error.column))
    }
}
