import CanonCore

/// A format no part of the registry knows: a schema names a record and lists the words a payload may
/// be (`{"name":"Greeting","words":["hi","hello"]}`, references add their words); a reader reads a writer
/// when it has every word the writer has. It goes through every part of the seam.
public struct WordsFormat: SchemaFormat {
    public init() {}
    public var type: SchemaType { "WORDS" }
    public var restProxyName: String { "WORDSTEXT" }
    public func makeParser() -> any SchemaParser { Parser() }

    public func incompatibilities(
        reader: any ParsedSchema, writer: any ParsedSchema, readerRole: SchemaRole, budget: Int, policy: CompatibilityPolicy?
    ) throws -> [CompatibilityMessage] {
        let (r, w) = (reader as! Words, writer as! Words)
        return w.words.subtracting(r.words).sorted().map {
            CompatibilityMessage(errorType: "WORD_MISSING", description: "the reader lacks '\($0)'", additionalInfo: $0)
        }
    }

    struct Parser: SchemaParser {
        var included: Set<String> = []
        mutating func load(reference name: String, schema text: String, origin: String) throws {
            included.formUnion(try Words.parse(text, including: []).words)
        }
        func parse(_ text: String) throws -> any ParsedSchema { try Words.parse(text, including: included) }
    }

    public struct Words: ParsedSchema, PayloadValidator {
        struct Invalid: Error, CustomStringConvertible { var description: String }
        var name: String
        var own: [String]
        var words: Set<String>

        static func parse(_ text: String, including: Set<String>) throws -> Words {
            guard case .object(let object) = try JSONReader.parse(text), let name = object["name"]?.stringValue,
                case .array(let list)? = object["words"]
            else { throw Invalid(description: "a WORDS schema is {\"name\", \"words\"}") }
            let own = list.compactMap(\.stringValue).sorted()
            return Words(name: name, own: own, words: including.union(own))
        }

        public var type: SchemaType { "WORDS" }
        public var canonicalText: String { JSONValue.object(["name": .string(name), "words": .array(own.map { .string($0) })]).jsonText }
        public var normalizedText: String { canonicalText }
        public var resolvedText: String {
            JSONValue.object(["name": .string(name), "words": .array(words.sorted().map { .string($0) })]).jsonText
        }
        public var recordName: String? { name }
        public func makeValidator() -> any PayloadValidator { self }
        public func encode(json: JSONValue) throws -> [UInt8] {
            guard let word = json.stringValue, words.contains(word) else { throw Invalid(description: "not a word of \(name)") }
            return Array(word.utf8)
        }
        public func decodeJSON(_ bytes: [UInt8], from start: Int, limits: PayloadLimits) throws(PayloadError) -> JSONValue {
            try validatePayload(bytes, from: start, limits: limits)
            return .string(String(decoding: bytes[start...], as: UTF8.self))
        }
        public func validatePayload(_ bytes: [UInt8], from start: Int, limits: PayloadLimits) throws(PayloadError) {
            let word = String(decoding: bytes[start...], as: UTF8.self)
            guard words.contains(word) else { throw PayloadError(message: "'\(word)' is not a word of \(name)", path: "$", byteOffset: 0) }
        }
    }
}
