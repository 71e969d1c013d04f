import CanonCore

/// The registry's modes.
public enum RegistryMode: String, Sendable, Hashable, CaseIterable {
    case readWrite = "READWRITE"
    case readOnly = "READONLY"
    /// Registrations carry their own ID and version (migrating from another registry).
    case `import` = "IMPORT"
}

/// What happens to the registry: every change is one event, appended to the store and then applied to
/// the in-memory state. Stored as one JSON object per record.
public enum RegistryEvent: Sendable, Hashable {
    case schemaRegistered(subject: String, version: Int, id: Int32, schemaType: SchemaType, schema: String, references: [SchemaReference])
    /// A version soft-deleted (`permanent == false`) or removed for good.
    case versionDeleted(subject: String, version: Int, permanent: Bool)
    /// Versions of a subject deleted at once (`DELETE /subjects/{s}`): one event, so all or none.
    case subjectDeleted(subject: String, versions: [Int], permanent: Bool)
    /// Compatibility level of a subject (nil: the global one) set, or removed (`level == nil`).
    case configSet(subject: String?, level: CompatibilityLevel?)
    /// Compatibility policy of a subject (nil: the global one) set, or removed (`policy == nil`).
    case policySet(subject: String?, policy: CompatibilityPolicy?)
    /// Mode of a subject (nil: the global one) set, or removed (`mode == nil`).
    case modeSet(subject: String?, mode: RegistryMode?)
    /// The ID high-water mark raised (IMPORT of IDs above it).
    case idsIssuedUpTo(Int32)

    /// The event as JSON.
    public var json: JSONValue {
        func opt(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
        switch self {
        case .schemaRegistered(let subject, let version, let id, let schemaType, let schema, let references):
            return .object([
                "event": .string("schema"), "subject": .string(subject), "version": .int(Int64(version)), "id": .int(Int64(id)),
                "schemaType": .string(schemaType.rawValue), "schema": .string(schema),
                "references": references.json,
            ])
        case .versionDeleted(let subject, let version, let permanent):
            return .object([
                "event": .string("delete"), "subject": .string(subject), "version": .int(Int64(version)), "permanent": .bool(permanent),
            ])
        case .subjectDeleted(let subject, let versions, let permanent):
            return .object([
                "event": .string("deleteSubject"), "subject": .string(subject), "versions": .array(versions.map { .int(Int64($0)) }),
                "permanent": .bool(permanent),
            ])
        case .configSet(let subject, let level):
            return .object(["event": .string("config"), "subject": opt(subject), "compatibility": opt(level?.rawValue)])
        case .policySet(let subject, let policy):
            return .object(["event": .string("policy"), "subject": opt(subject), "compatibilityPolicy": opt(policy?.rawValue)])
        case .modeSet(let subject, let mode):
            return .object(["event": .string("mode"), "subject": opt(subject), "mode": opt(mode?.rawValue)])
        case .idsIssuedUpTo(let id):
            return .object(["event": .string("ids"), "upTo": .int(Int64(id))])
        }
    }

    /// Reads an event written by ``json``; nil when it is not one.
    public init?(json: JSONValue) {
        func int(_ key: String) -> Int? { json[key]?.int64Value.flatMap { Int(exactly: $0) } }
        func optString(_ key: String) -> String?? {
            switch json[key] {
            case .string(let s)?: return .some(s)
            case .null?, nil: return .some(nil)
            default: return nil
            }
        }
        switch json["event"]?.stringValue {
        case "schema":
            guard let subject = json["subject"]?.stringValue, let version = int("version"),
                let id = int("id").flatMap({ Int32(exactly: $0) }),
                let schemaType = json["schemaType"]?.stringValue, let schema = json["schema"]?.stringValue,
                case .array(let refs)? = json["references"]
            else { return nil }
            var references: [SchemaReference] = []
            for r in refs {
                guard let reference = SchemaReference(json: r) else { return nil }
                references.append(reference)
            }
            self = .schemaRegistered(
                subject: subject, version: version, id: id, schemaType: SchemaType(rawValue: schemaType), schema: schema,
                references: references)
        case "delete":
            guard let subject = json["subject"]?.stringValue, let version = int("version"), case .bool(let permanent)? = json["permanent"]
            else { return nil }
            self = .versionDeleted(subject: subject, version: version, permanent: permanent)
        case "deleteSubject":
            guard let subject = json["subject"]?.stringValue, case .array(let items)? = json["versions"],
                case .bool(let permanent)? = json["permanent"]
            else { return nil }
            let versions = items.compactMap { $0.int64Value.flatMap { Int(exactly: $0) } }
            guard versions.count == items.count else { return nil }
            self = .subjectDeleted(subject: subject, versions: versions, permanent: permanent)
        case "config":
            guard let subject = optString("subject"), let level = optString("compatibility") else { return nil }
            let parsed = level.flatMap { CompatibilityLevel(rawValue: $0) }
            if level != nil && parsed == nil { return nil }
            self = .configSet(subject: subject, level: parsed)
        case "policy":
            guard let subject = optString("subject"), let policy = optString("compatibilityPolicy") else { return nil }
            let parsed = policy.flatMap { CompatibilityPolicy(rawValue: $0) }
            if policy != nil && parsed == nil { return nil }
            self = .policySet(subject: subject, policy: parsed)
        case "mode":
            guard let subject = optString("subject"), let mode = optString("mode") else { return nil }
            let parsed = mode.flatMap { RegistryMode(rawValue: $0) }
            if mode != nil && parsed == nil { return nil }
            self = .modeSet(subject: subject, mode: parsed)
        case "ids":
            guard let id = int("upTo").flatMap({ Int32(exactly: $0) }) else { return nil }
            self = .idsIssuedUpTo(id)
        default:
            return nil
        }
    }
}
