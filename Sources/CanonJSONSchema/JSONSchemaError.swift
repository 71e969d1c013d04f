/// The library's error: a schema that cannot be compiled (invalid keyword values, an unresolvable
/// `$ref`, limits), with where in the schema it happened.
public struct JSONSchemaError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    /// The schema location: the document's URI and a JSON pointer into it.
    public var location: String

    public init(_ message: String, at location: String) {
        self.message = message
        self.location = location
    }

    public var description: String { location.isEmpty ? message : "\(location): \(message)" }
}

/// Why an instance is not valid: the first failure found.
public struct JSONSchemaFailure: Sendable, Hashable, CustomStringConvertible {
    /// Where in the instance, as a JSON pointer (`` for the instance itself, `/items/0/price`).
    public var instancePath: String
    /// The keyword that failed (`type`, `required`, `pattern`, ...).
    public var keyword: String
    /// Where the keyword is in the schema: a JSON pointer from the schema's document root (after the
    /// document's URI when it has one).
    public var schemaLocation: String
    public var message: String

    public var description: String {
        "\(instancePath.isEmpty ? "the instance" : instancePath): \(message) (\(keyword) at \(schemaLocation.isEmpty ? "#" : schemaLocation))"
    }
}
