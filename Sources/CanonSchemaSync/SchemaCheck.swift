import CanonCodegen
import CanonCore
import CanonRegistryClient
import Foundation

/// What the registry says of one mapped schema: already registered, new, compatible or not.
public struct SubjectCheck: Sendable, Hashable {
    /// The verdict for one subject.
    public enum Status: Sendable, Hashable {
        /// Registered under the subject already (the lookup found it).
        case unchanged(id: Int32, version: Int)
        /// The subject has no live version: registering creates it.
        case newSubject
        /// A new version that the subject's compatibility level accepts.
        case newVersion
        /// A new version that the subject's level refuses; the registry's messages say why.
        case incompatible([CompatibilityProblem])
        /// The registry refused the schema itself (invalid schema, bad reference): its code and message.
        case rejected(code: Int, message: String)

        /// Whether `register` may go ahead for this subject.
        public var isAcceptable: Bool {
            switch self {
            case .unchanged, .newSubject, .newVersion: return true
            case .incompatible, .rejected: return false
            }
        }

        /// Whether registering would add a version.
        public var isChange: Bool {
            switch self {
            case .newSubject, .newVersion: return true
            default: return false
            }
        }

        /// A word for machines (`--format json`): `unchanged`, `new-subject`, `new-version`,
        /// `incompatible` or `rejected`.
        public var keyword: String {
            switch self {
            case .unchanged: return "unchanged"
            case .newSubject: return "new-subject"
            case .newVersion: return "new-version"
            case .incompatible: return "incompatible"
            case .rejected: return "rejected"
            }
        }
    }

    public var entry: SchemaMapping.Entry
    public var status: Status
    /// The subject's compatibility level as the registry applies it (its own or the global one).
    public var level: String?
    /// For an unchanged schema: the subject's latest version, when the schema is an older one (producers
    /// using the latest version do not use it; registering it again does not make it the latest).
    public var newerLatest: Int? = nil
    /// Whether the schema was checked with its referenced types defined in place (a referenced schema is
    /// new): the registry's paths then point into that form, not into the file.
    public var checkedSelfContained = false
}

/// One message of a verbose compatibility answer, with the schema path it names when it names one.
public struct CompatibilityProblem: Sendable, Hashable {
    /// The registry's message, as it gave it.
    public var message: String
    /// Confluent's difference type (`READER_FIELD_MISSING_DEFAULT_VALUE`, ...), when the message has one.
    public var errorType: String?
    /// The JSON pointer into the schema the message names (`/fields/2/type`), when it names one.
    public var path: String?
    /// The field the message is about (Confluent's `additionalInfo` for field messages), when known.
    public var field: String?
    /// The sentence of a difference message (its `description`), else the whole message.
    public var description: String
    /// The version the schema was compared with, for the `{oldSchemaVersion: N}` message.
    public var oldSchemaVersion: Int?

    /// Reads the parts of a Confluent verbose message: Avro's
    /// `{errorType:'TYPE_MISMATCH', description:'The type (path '/fields/0/type') ...', additionalInfo:'...'}`,
    /// or JSON Schema's `{errorType:"TYPE_CHANGED", description:"A type at path '#/properties/a' ..."}`;
    /// the context messages after the differences (`{oldSchemaVersion: 1}`, `{oldSchema: '…'}`, ...) have no `errorType`.
    public init(message: String) {
        self.message = message
        errorType = Self.quoted(after: "errorType:", in: message)
        path = Self.quoted(after: "path ", in: message)
        if errorType == "READER_FIELD_MISSING_DEFAULT_VALUE" { field = Self.quoted(after: "additionalInfo:", in: message) }
        description = message
        if let marker = message.range(of: "description:")?.upperBound, marker < message.endIndex,
            message[marker] == "'" || message[marker] == "\""
        {
            let quote = message[marker]
            let start = message.index(after: marker)
            let end =
                message.range(of: "\(quote), additionalInfo:", options: .backwards)?.lowerBound
                ?? message.range(of: "\(quote)}", options: .backwards)?.lowerBound
            if let end, start <= end { description = String(message[start..<end]) }
        }
        if message.hasPrefix("{oldSchemaVersion: "), let v = Int(message.dropFirst("{oldSchemaVersion: ".count).prefix { $0.isNumber }) {
            oldSchemaVersion = v
        }
    }

    /// Whether this message names a difference (it has an error type), rather than context.
    public var isDifference: Bool { errorType != nil }

    /// The text quoted (with `'` or `"`) right after `marker`.
    static func quoted(after marker: String, in text: String) -> String? {
        guard let m = text.range(of: marker)?.upperBound, m < text.endIndex, text[m] == "'" || text[m] == "\"" else { return nil }
        let start = text.index(after: m)
        guard let end = text[start...].firstIndex(of: text[m]) else { return nil }
        return String(text[start..<end])
    }
}

/// Why the registry could not be asked (exit 2), as opposed to a negative verdict (exit 1): no answer,
/// a server error, credentials it refuses, or no registry at that URL.
public struct RegistryUnreachable: Error, Sendable, CustomStringConvertible {
    public var url: String
    public var reason: String
    public var description: String { "the registry at \(url) cannot be reached: \(reason)" }

    public init(url: String, reason: String) {
        self.url = url
        self.reason = reason
    }

    /// The failure an error means when it is not a verdict on a schema; `nil` for the registry's own
    /// refusals (invalid schema, not found, incompatible), which are verdicts.
    public init?(_ error: RegistryClientError, url: URL) {
        let address = url.absoluteString
        var reason = error.message
        let prefix = "cannot reach the registry at \(address): "
        if reason.hasPrefix(prefix) { reason.removeFirst(prefix.count) }
        switch error.status {
        case 0:
            break
        case 401, 403:
            reason =
                "it refused the credentials (\(error.status) \(error.description)); set CANON_REGISTRY_USER_INFO=user:password or CANON_REGISTRY_BEARER_TOKEN"
        case 404 where error.code == 0 || error.code == 404:
            reason = "no schema registry answers at this URL (\(error.status) \(error.description))"
        case 500...:
            reason = "it answered \(error.status) \(error.description)"
        default:
            return nil
        }
        self.init(url: address, reason: reason)
    }
}

/// Asks a registry, for each schema of a ``SchemaMapping``, whether it is registered already and whether
/// the subject's compatibility level accepts it.
public struct SchemaChecker: Sendable {
    public let client: RegistryClient

    public init(client: RegistryClient) {
        self.client = client
    }

    /// Checks every entry, in the mapping's order (referenced schemas first, so a reference to a schema
    /// registered already names its version). A schema that references one not registered yet is
    /// checked with the referenced types defined in place.
    public func check(_ mapping: SchemaMapping) async throws(RegistryUnreachable) -> [SubjectCheck] {
        var results: [SubjectCheck] = []
        var versions: [String: Int] = [:]  // subject -> the version holding this repository's schema
        for entry in mapping.entries {
            let references = entry.references.map { r in
                versions[r.subject].map { SchemaReference(name: r.name, subject: r.subject, version: $0) }
            }
            let resolved = references.allSatisfy { $0 != nil } ? references.compactMap { $0 } : nil
            let status = try await self.status(of: entry, references: resolved)
            var newerLatest: Int?
            if case .unchanged(_, let version) = status {
                versions[entry.subject] = version
                do {
                    if let latest = try await client.versions(subject: entry.subject).max(), latest > version { newerLatest = latest }
                } catch {
                    if let unreachable = RegistryUnreachable(error, url: client.baseURL) { throw unreachable }
                }
            }
            let level = try await self.level(of: entry.subject)
            results.append(
                SubjectCheck(
                    entry: entry, status: status, level: level, newerLatest: newerLatest,
                    checkedSelfContained: resolved == nil && !entry.references.isEmpty))
        }
        return results
    }

    /// The status of one entry; `references` is `nil` when a referenced schema is not registered yet.
    func status(of entry: SchemaMapping.Entry, references: [SchemaReference]?) async throws(RegistryUnreachable) -> SubjectCheck.Status {
        let subject = RegistryClient.path(entry.subject)
        let body: JSONValue
        if let references {
            do {
                let found = try await client.lookup(
                    subject: entry.subject, schema: entry.schema, schemaType: entry.schemaType, references: references)
                return .unchanged(id: found.id, version: found.version)
            } catch {
                switch error.code {
                case 40401: return .newSubject
                case 40403: break
                default: return try rejectedOrUnreachable(error)
                }
            }
            body = RegistryClient.schemaBody(entry.schema, schemaType: entry.schemaType, references: references)
        } else {
            // A referenced schema is new, so this one is too: its registered form will name that new version.
            do {
                if try await client.versions(subject: entry.subject).isEmpty { return .newSubject }
            } catch {
                if error.code == 40401 { return .newSubject }
                return try rejectedOrUnreachable(error)
            }
            body = RegistryClient.schemaBody(entry.selfContained, schemaType: entry.schemaType, references: [])
        }
        do {
            let answer = try await client.send("POST", "/compatibility/subjects/\(subject)/versions?verbose=true", body: body)
            if answer["is_compatible"] == .bool(true) { return .newVersion }
            guard case .array(let messages)? = answer["messages"] else { return .incompatible([]) }
            return .incompatible(messages.map { CompatibilityProblem(message: $0.stringValue ?? $0.jsonText) })
        } catch {
            if error.code == 40401 { return .newSubject }
            return try rejectedOrUnreachable(error)
        }
    }

    /// The subject's level (its own, else the global one); `nil` when the registry does not say.
    func level(of subject: String) async throws(RegistryUnreachable) -> String? {
        do {
            let answer = try await client.send("GET", "/config/\(RegistryClient.path(subject))?defaultToGlobal=true")
            return answer["compatibilityLevel"]?.stringValue ?? answer["compatibility"]?.stringValue
        } catch {
            if let unreachable = RegistryUnreachable(error, url: client.baseURL) { throw unreachable }
            return nil
        }
    }

    func rejectedOrUnreachable(_ error: RegistryClientError) throws(RegistryUnreachable) -> SubjectCheck.Status {
        if let unreachable = RegistryUnreachable(error, url: client.baseURL) { throw unreachable }
        return .rejected(code: error.code == 0 ? error.status : error.code, message: error.message)
    }
}
