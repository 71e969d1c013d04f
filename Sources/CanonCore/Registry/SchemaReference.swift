/// A reference from one schema to another registered one, by subject and version (Confluent's
/// `{"name", "subject", "version"}`; for Avro, `name` is the referenced type's full name).
public struct SchemaReference: Sendable, Hashable {
    public var name: String
    public var subject: String
    public var version: Int

    public init(name: String, subject: String, version: Int) {
        self.name = name
        self.subject = subject
        self.version = version
    }
}

extension SchemaReference {
    /// Confluent's JSON form, `{"name", "subject", "version"}`: the one coding the registry's events, its
    /// server, its client and the CLI share.
    public var json: JSONValue {
        .object(["name": .string(name), "subject": .string(subject), "version": .int(Int64(version))])
    }

    /// Reads Confluent's JSON form; `nil` when `json` is not an object with a string `name` and `subject`
    /// and an integer `version`.
    public init?(json: JSONValue) {
        guard let name = json["name"]?.stringValue, let subject = json["subject"]?.stringValue,
            let version = json["version"]?.int64Value.flatMap({ Int(exactly: $0) })
        else { return nil }
        self.init(name: name, subject: subject, version: version)
    }
}

extension Sequence<SchemaReference> {
    /// The references as a JSON array, in order.
    public var json: JSONValue { .array(map(\.json)) }
}
