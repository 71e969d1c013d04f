/// The registry's one error type: the `error_code` Confluent Schema Registry 7.9 answers with, and its
/// message. It knows nothing of HTTP: the server maps the code to a status (a five-digit code's first
/// three digits, as Confluent's codes are built) and writes `{"error_code": N, "message": "..."}`.
public struct RegistryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Confluent's `error_code` (40401, 42201, ...; 409 for an incompatible schema, as 7.9 sends it).
    public var code: Int
    public var message: String

    public init(code: Int, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    public static func subjectNotFound(_ subject: String) -> RegistryError { .init(code: 40401, "Subject '\(subject)' not found.") }
    public static func versionNotFound(_ version: String) -> RegistryError { .init(code: 40402, "Version \(version) not found.") }
    public static func schemaNotFound(_ what: String = "") -> RegistryError {
        .init(code: 40403, what.isEmpty ? "Schema not found" : "Schema \(what) not found")
    }
    public static func subjectSoftDeleted(_ subject: String) -> RegistryError {
        .init(code: 40404, "Subject '\(subject)' was soft deleted.Set permanent=true to delete permanently")
    }
    public static func subjectNotSoftDeleted(_ subject: String) -> RegistryError {
        .init(code: 40405, "Subject '\(subject)' was not deleted first before being permanently deleted")
    }
    public static func versionSoftDeleted(_ subject: String, _ version: Int) -> RegistryError {
        .init(code: 40406, "Subject '\(subject)' Version \(version) was soft deleted.Set permanent=true to delete permanently")
    }
    public static func versionNotSoftDeleted(_ subject: String, _ version: Int) -> RegistryError {
        .init(code: 40407, "Subject '\(subject)' Version \(version) was not deleted first before being permanently deleted")
    }
    public static func subjectCompatibilityNotConfigured(_ subject: String) -> RegistryError {
        .init(code: 40408, "Subject '\(subject)' does not have subject-level compatibility configured")
    }
    public static func subjectModeNotConfigured(_ subject: String) -> RegistryError {
        .init(code: 40409, "Subject '\(subject)' does not have subject-level mode configured")
    }
    public static func incompatible(subject: String, _ messages: [String]) -> RegistryError {
        .init(
            code: 409,
            "Schema being registered is incompatible with an earlier schema for subject \"\(subject)\", details: [\(messages.joined(separator: ", "))]"
        )
    }
    public static func invalidSchema(_ why: String) -> RegistryError { .init(code: 42201, "Invalid schema: \(why)") }
    /// A request whose `schema` is missing or empty (Confluent's words).
    public static let emptySchema = RegistryError(code: 42201, "Empty schema")
    public static func invalidVersion(_ version: String) -> RegistryError {
        .init(
            code: 42202,
            "The specified version '\(version)' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\""
        )
    }
    public static let invalidCompatibilityLevel = RegistryError(
        code: 42203,
        "Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive"
    )
    public static func invalidMode(_ mode: String) -> RegistryError {
        .init(code: 42204, "Invalid mode. Valid values are READWRITE, READONLY and IMPORT (got '\(mode)')")
    }
    public static func notPermitted(_ why: String) -> RegistryError { .init(code: 42205, why) }
    public static func referenceExists(_ what: String) -> RegistryError {
        .init(code: 42206, "One or more references exist to the schema \(what).")
    }
    public static func idDoesNotMatch(_ why: String) -> RegistryError { .init(code: 42207, why) }
    public static func invalidSubject(_ subject: String) -> RegistryError { .init(code: 42208, "Invalid subject '\(subject)'") }
    public static func schemaTooLarge(_ size: Int, limit: Int) -> RegistryError {
        .init(code: 42209, "Schema of \(size) bytes is larger than the limit of \(limit) bytes")
    }
    public static func storeError(_ why: String) -> RegistryError { .init(code: 50001, "Error in the backend data store - \(why)") }
}
