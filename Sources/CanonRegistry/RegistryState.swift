import CanonCore

/// The registry's state: everything the events say, in memory. A value type; `apply` is the only way it
/// changes, so replaying the store rebuilds it exactly.
public struct RegistryState: Sendable {
    /// A schema's identity: its type, its text (the stored rendering) and its references.
    public struct Content: Sendable, Hashable {
        public var schemaType: SchemaType
        public var schema: String
        public var references: [SchemaReference]

        public init(schemaType: SchemaType, schema: String, references: [SchemaReference]) {
            self.schemaType = schemaType
            self.schema = schema
            self.references = references
        }
    }

    /// One version of a subject.
    public struct Version: Sendable, Hashable {
        public var id: Int32
        public var deleted: Bool
    }

    struct Subject: Sendable {
        var versions: [Int: Version] = [:]
        var config: CompatibilityLevel?
        var policy: CompatibilityPolicy?
        var mode: RegistryMode?
    }

    var subjects: [String: Subject] = [:]
    /// Every ID ever issued and what it denotes (kept after hard deletes: an ID never changes meaning).
    var contents: [Int32: Content] = [:]
    var idByContent: [Content: Int32] = [:]
    /// How many versions (soft-deleted included) use each ID; an ID no version uses is not served.
    var uses: [Int32: Int] = [:]
    /// The highest ID ever issued or imported.
    public private(set) var maxID: Int32 = 0
    var globalConfig: CompatibilityLevel?
    var globalPolicy: CompatibilityPolicy?
    var globalMode: RegistryMode?

    public init() {}

    public mutating func apply(_ event: RegistryEvent) {
        switch event {
        case .schemaRegistered(let subject, let version, let id, let schemaType, let schema, let references):
            let content = Content(schemaType: schemaType, schema: schema, references: references)
            contents[id] = content
            if idByContent[content] == nil { idByContent[content] = id }
            maxID = max(maxID, id)
            if let old = subjects[subject]?.versions[version] { uses[old.id, default: 1] -= 1 }
            subjects[subject, default: Subject()].versions[version] = Version(id: id, deleted: false)
            uses[id, default: 0] += 1
        case .subjectDeleted(let subject, let versions, let permanent):
            for version in versions { apply(.versionDeleted(subject: subject, version: version, permanent: permanent)) }
        case .versionDeleted(let subject, let version, let permanent):
            guard let existing = subjects[subject]?.versions[version] else { return }
            if permanent {
                subjects[subject]!.versions[version] = nil
                uses[existing.id, default: 1] -= 1
                // The last version gone: the subject goes with its settings, as Confluent does.
                if subjects[subject]!.versions.isEmpty { subjects[subject] = nil }
            } else {
                subjects[subject]!.versions[version]!.deleted = true
            }
        case .configSet(let subject, let level):
            if let subject {
                subjects[subject, default: Subject()].config = level
                dropIfEmpty(subject)
            } else {
                globalConfig = level
            }
        case .policySet(let subject, let policy):
            if let subject {
                subjects[subject, default: Subject()].policy = policy
                dropIfEmpty(subject)
            } else {
                globalPolicy = policy
            }
        case .modeSet(let subject, let mode):
            if let subject {
                subjects[subject, default: Subject()].mode = mode
                dropIfEmpty(subject)
            } else {
                globalMode = mode
            }
        case .idsIssuedUpTo(let id):
            maxID = max(maxID, id)
        }
    }

    private mutating func dropIfEmpty(_ subject: String) {
        if let s = subjects[subject], s.versions.isEmpty, s.config == nil, s.policy == nil, s.mode == nil { subjects[subject] = nil }
    }
}
