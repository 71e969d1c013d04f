import CanonCore

/// The settings of `canon-codegen.json`, the file beside the schemas that maps topics to key and value
/// types, schema files to registry subjects, and sets the access level and naming of generated code. Its
/// JSON Schema is `Schemas/canon-codegen.schema.json`; a test keeps the two in step.
///
/// ```json
/// {
///   "access": "public",
///   "registry": "http://127.0.0.1:8081",
///   "typeNames": { "com.example.billing.Address": "BillingAddress" },
///   "subjects": { "schemas/Address.avsc": "billing-address" },
///   "topics": [
///     { "topic": "orders", "key": "string", "value": "com.example.orders.OrderPlaced" }
///   ]
/// }
/// ```
public struct CodegenConfig: Sendable, Hashable {
    /// Access level of every generated declaration: `public` (the default), `package` or `internal`.
    public var access: String = "public"
    /// Swift type names by Avro full name, replacing the default (the simple name, Swift-cased).
    public var typeNames: [String: String] = [:]
    /// The topics to generate descriptors for.
    public var topics: [Topic] = []
    /// The registry the schema workflow (`canon registry check|register|pull`) talks to; `CANON_URL` and
    /// `--url` override it.
    public var registry: String?
    /// How a topic's key and value subjects are named when the topic does not name them itself.
    public var subjectNameStrategy: SubjectNameStrategy = .topic
    /// Subjects by schema file path (relative to the config's folder), for files that are not a topic's
    /// key or value, or to register one under another subject than the strategy's.
    public var subjects: [String: String] = [:]

    /// The keys `canon-codegen.json` accepts at its top level.
    public enum Key: String, CaseIterable, Sendable {
        case schema = "$schema", access, typeNames, topics, registry, subjectNameStrategy, subjects
    }

    /// One topic: its key and value schemas.
    public struct Topic: Sendable, Hashable {
        /// The Kafka topic name.
        public var topic: String
        /// The key schema: a primitive type name (`string`, `long`, `int`, `boolean`, `float`, `double`,
        /// `bytes`) or the full (or unique simple) name of a record, enum or fixed.
        public var key: String
        /// The value schema, the same way (usually a record).
        public var value: String
        /// The Swift name of the topic's descriptor; default: the topic name, Swift-cased, plus `Topic`.
        public var swiftName: String?
        /// The key's subject; default `<topic>-key` (TopicNameStrategy).
        public var keySubject: String?
        /// The value's subject; default `<topic>-value`.
        public var valueSubject: String?

        /// The keys a topic entry accepts.
        public enum Key: String, CaseIterable, Sendable {
            case topic, key, value, swiftName, keySubject, valueSubject
        }
        /// The keys a topic entry must have.
        public static let required: [Key] = [.topic, .key, .value]
    }

    public init() {}

    /// Reads the config file's text; every problem is reported with its JSON path.
    public init(parsing text: String) throws(CodegenConfigError) {
        let json: JSONValue
        do {
            json = try JSONReader.parse(text)
        } catch {
            throw CodegenConfigError(path: "", message: "not valid JSON: \(error.message) (line \(error.line), column \(error.column))")
        }
        guard case .object(let root) = json else { throw CodegenConfigError(path: "", message: "the config must be a JSON object") }
        for (key, value) in root {
            guard let k = Key(rawValue: key) else {
                throw CodegenConfigError(
                    path: "/\(key)", message: "unknown setting '\(key)' (known: \(Key.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            switch k {
            case .schema: break
            case .access:
                guard let s = value.stringValue, ["public", "package", "internal"].contains(s) else {
                    throw CodegenConfigError(path: "/access", message: "must be \"public\", \"package\" or \"internal\"")
                }
                access = s
            case .typeNames:
                guard case .object(let names) = value else {
                    throw CodegenConfigError(path: "/typeNames", message: "must be an object of Avro full name -> Swift type name")
                }
                for (avro, swift) in names {
                    guard let s = swift.stringValue, Self.isIdentifier(s), !SwiftNaming.keywords.contains(s),
                        !SwiftNaming.reservedTypeNames.contains(s)
                    else {
                        throw CodegenConfigError(
                            path: "/typeNames/\(avro)",
                            message: "must be a Swift type name (an identifier that is not a keyword or Swift, Foundation, CanonAvro)")
                    }
                    typeNames[avro] = s
                }
            case .topics:
                guard case .array(let items) = value else {
                    throw CodegenConfigError(path: "/topics", message: "must be an array of topics")
                }
                for (i, item) in items.enumerated() { topics.append(try Topic(item, path: "/topics/\(i)")) }
            case .registry:
                guard let s = value.stringValue, s.hasPrefix("http://") || s.hasPrefix("https://") else {
                    throw CodegenConfigError(path: "/registry", message: "must be the registry's http:// or https:// URL")
                }
                registry = s
            case .subjectNameStrategy:
                guard let s = value.stringValue, let strategy = SubjectNameStrategy(parsing: s) else {
                    throw CodegenConfigError(
                        path: "/subjectNameStrategy", message: "must be TopicNameStrategy, RecordNameStrategy or TopicRecordNameStrategy")
                }
                subjectNameStrategy = strategy
            case .subjects:
                guard case .object(let entries) = value else {
                    throw CodegenConfigError(path: "/subjects", message: "must be an object of schema file path -> subject")
                }
                for (file, subject) in entries {
                    guard let s = subject.stringValue, !s.isEmpty else {
                        throw CodegenConfigError(path: "/subjects/\(file)", message: "must be a non-empty subject name")
                    }
                    subjects[file] = s
                }
            }
        }
        var seen: Set<String> = []
        for (i, t) in topics.enumerated() where !seen.insert(t.topic).inserted {
            throw CodegenConfigError(path: "/topics/\(i)/topic", message: "topic '\(t.topic)' is listed twice")
        }
    }

    /// The subject of a topic's key (`isKey`) or value: the topic's own `keySubject`/`valueSubject`, else
    /// the one `subjectNameStrategy` names for a schema whose full name is `recordName` (for a primitive,
    /// its type name, as Confluent's serializers use).
    public func subject(of topic: Topic, isKey: Bool, recordName: String) -> String {
        if let own = isKey ? topic.keySubject : topic.valueSubject { return own }
        return subjectNameStrategy.subject(topic: topic.topic, isKey: isKey, recordName: recordName)
            ?? "\(topic.topic)-\(isKey ? "key" : "value")"
    }

    static func isIdentifier(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first == "_" || (first.properties.isAlphabetic && first.isASCII) else { return false }
        return s.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }
}

extension CodegenConfig.Topic {
    init(_ json: JSONValue, path: String) throws(CodegenConfigError) {
        guard case .object(let object) = json else { throw CodegenConfigError(path: path, message: "a topic must be an object") }
        var strings: [Key: String] = [:]
        for (key, value) in object {
            guard let k = Key(rawValue: key) else {
                throw CodegenConfigError(
                    path: "\(path)/\(key)",
                    message: "unknown topic setting '\(key)' (known: \(Key.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard let s = value.stringValue, !s.isEmpty else {
                throw CodegenConfigError(path: "\(path)/\(key)", message: "must be a non-empty string")
            }
            strings[k] = s
        }
        for k in Self.required where strings[k] == nil {
            throw CodegenConfigError(path: path, message: "a topic needs '\(k.rawValue)'")
        }
        topic = strings[.topic]!
        key = strings[.key]!
        value = strings[.value]!
        swiftName = strings[.swiftName]
        keySubject = strings[.keySubject]
        valueSubject = strings[.valueSubject]
        if let s = swiftName,
            !CodegenConfig.isIdentifier(s) || SwiftNaming.keywords.contains(s) || SwiftNaming.reservedTypeNames.contains(s)
        {
            throw CodegenConfigError(path: "\(path)/swiftName", message: "'\(s)' is not a usable Swift type name")
        }
    }
}

/// A problem in `canon-codegen.json`, at a JSON path.
public struct CodegenConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}
