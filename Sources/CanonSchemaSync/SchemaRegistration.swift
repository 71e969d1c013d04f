import CanonCodegen
import CanonCore
import CanonRegistryClient

/// Registers the changed schemas of a checked mapping, referenced subjects first.
public struct SchemaRegistrar: Sendable {
    public let client: RegistryClient

    public init(client: RegistryClient) {
        self.client = client
    }

    /// What one registration did.
    public struct Registered: Sendable, Hashable {
        public var subject: String
        public var file: String?
        public var id: Int32
        public var version: Int
    }

    /// A registration the registry refused although the check passed (someone changed the subject in
    /// between): what was registered before it stays registered.
    public struct Refused: Error, Sendable, CustomStringConvertible {
        public var subject: String
        public var error: RegistryClientError
        public var registered: [Registered]
        public var description: String { "registering \(subject) failed: \(error)" }
    }

    /// The registry stopped answering part way: what was registered before stays registered.
    public struct Interrupted: Error, Sendable, CustomStringConvertible {
        public var unreachable: RegistryUnreachable
        public var registered: [Registered]
        public var description: String { unreachable.description }
    }

    /// Registers every entry whose check says `newSubject` or `newVersion`, in the mapping's order, each
    /// with references naming the versions its referenced subjects hold now. Unchanged entries are left
    /// alone, so a second run registers nothing. `checks` must come from ``SchemaChecker/check(_:)`` and
    /// all be acceptable.
    public func register(_ checks: [SubjectCheck]) async throws -> [Registered] {
        precondition(checks.allSatisfy(\.status.isAcceptable), "register only what the check accepted")
        var versions: [String: Int] = [:]
        for check in checks { if case .unchanged(_, let v) = check.status { versions[check.entry.subject] = v } }
        var done: [Registered] = []
        for check in checks where check.status.isChange {
            let entry = check.entry
            let references = entry.references.map {
                SchemaReference(name: $0.name, subject: $0.subject, version: versions[$0.subject] ?? -1)
            }
            do {
                let answer = try await client.register(
                    subject: entry.subject, schema: entry.schema, schemaType: entry.schemaType, references: references)
                let version: Int
                if let v = answer.version {
                    version = v
                } else {
                    version = try await client.lookup(
                        subject: entry.subject, schema: entry.schema, schemaType: entry.schemaType, references: references
                    ).version
                }
                versions[entry.subject] = version
                done.append(Registered(subject: entry.subject, file: entry.file, id: answer.id, version: version))
            } catch {
                if let unreachable = RegistryUnreachable(error, url: client.baseURL) {
                    throw Interrupted(unreachable: unreachable, registered: done)
                }
                throw Refused(subject: entry.subject, error: error, registered: done)
            }
        }
        return done
    }
}
