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
