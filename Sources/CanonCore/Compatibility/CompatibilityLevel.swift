/// The seven compatibility levels of a subject, with Confluent Schema Registry's semantics.
public enum CompatibilityLevel: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case none = "NONE"
    /// The new schema reads data written with the latest version.
    case backward = "BACKWARD"
    /// The new schema reads data written with every version.
    case backwardTransitive = "BACKWARD_TRANSITIVE"
    /// The latest version reads data written with the new schema.
    case forward = "FORWARD"
    /// Every version reads data written with the new schema.
    case forwardTransitive = "FORWARD_TRANSITIVE"
    /// Both directions, against the latest version.
    case full = "FULL"
    /// Both directions, against every version.
    case fullTransitive = "FULL_TRANSITIVE"

    /// Parses a level name, case-insensitively (`backward`, `FULL_TRANSITIVE`).
    public init?(name: String) {
        self.init(rawValue: name.uppercased())
    }

    public var description: String { rawValue }

    /// Whether the new schema must read data written with older versions.
    public var checksBackward: Bool { [.backward, .backwardTransitive, .full, .fullTransitive].contains(self) }
    /// Whether older versions must read data written with the new schema.
    public var checksForward: Bool { [.forward, .forwardTransitive, .full, .fullTransitive].contains(self) }
    /// Whether every version is compared, not only the latest.
    public var isTransitive: Bool { [.backwardTransitive, .forwardTransitive, .fullTransitive].contains(self) }
}

/// Which changes a format's compatibility check counts as compatible (Confluent's `compatibilityPolicy`
/// of a subject's or the global config). JSON Schema reads it: LENIENT also accepts changes to
/// properties under open and closed content models; STRICT (and no policy) does not.
public enum CompatibilityPolicy: String, Sendable, Hashable, CaseIterable {
    case logical = "LOGICAL"
    case strict = "STRICT"
    case lenient = "LENIENT"

    /// Parses a policy name in any case.
    public init?(name: String) { self.init(rawValue: name.uppercased()) }
}

/// Which schema of a check a message speaks of: the one being registered, or an existing version.
public enum SchemaRole: String, Sendable, Hashable {
    case new
    case old
}

/// One incompatibility, in the shape Confluent Schema Registry reports it (tools parse these).
public struct CompatibilityMessage: Sendable, Hashable {
    /// The kind, e.g. `READER_FIELD_MISSING_DEFAULT_VALUE`.
    public var errorType: String
    /// A sentence naming the path and the schemas by role.
    public var description: String
    /// The checker's own detail (for Avro: Apache Avro's incompatibility message).
    public var additionalInfo: String

    /// The message as the registry answers it.
    public var text: String

    /// A message in Avro's shape: `{errorType:'…', description:'…', additionalInfo:'…'}`.
    public init(errorType: String, description: String, additionalInfo: String) {
        self.errorType = errorType
        self.description = description
        self.additionalInfo = additionalInfo
        self.text = "{errorType:'\(errorType)', description:'\(description)', additionalInfo:'\(additionalInfo)'}"
    }

    /// A message a format renders its own way (JSON Schema's: `{errorType:"…", description:"…"}`).
    public init(errorType: String, description: String, text: String) {
        self.errorType = errorType
        self.description = description
        self.additionalInfo = ""
        self.text = text
    }
}

/// A schema format's reader/writer check; the level logic is written once over this protocol.
public protocol CompatibilityChecker {
    associatedtype Schema

    /// What stops `reader` from reading every datum written with `writer`; empty when it can.
    /// `readerRole` says whether the reader is the new schema or an existing version (for the wording).
    /// Throws when the pair cannot be compared at all.
    func incompatibilities(reader: Schema, writer: Schema, readerRole: SchemaRole) throws -> [CompatibilityMessage]

    /// The schema's text for the `{oldSchema: '…'}` line of a verbose answer.
    func text(of schema: Schema) -> String
}

/// The verdict of a level check, as the registry's verbose compatibility answer gives it.
public struct CompatibilityResult: Sendable, Hashable {
    public var isCompatible: Bool
    /// Incompatibilities first, then `{oldSchemaVersion: N}`, `{oldSchema: '…'}` and
    /// `{validateFields: 'false', compatibility: 'LEVEL'}`; empty when compatible.
    public var messages: [String]

    public init(isCompatible: Bool, messages: [String]) {
        self.isCompatible = isCompatible
        self.messages = messages
    }
}

extension CompatibilityLevel {
    /// Checks `new` against the existing versions (`previous`, oldest first; `versions` numbers them and
    /// must have the same count, 1... by default). Non-transitive levels compare with the latest only;
    /// transitive ones with every version, newest first, stopping at the first that fails (as Confluent
    /// does). Messages follow Confluent's order: for FULL levels the old schema reading the new one first,
    /// then the new reading the old, with the old version's number and text after the latter.
    public func check<Checker: CompatibilityChecker>(
        _ new: Checker.Schema, against previous: [Checker.Schema], versions: [Int]? = nil, using checker: Checker
    ) throws -> CompatibilityResult {
        guard self != .none, !previous.isEmpty else { return CompatibilityResult(isCompatible: true, messages: []) }
        let numbers = versions.flatMap { $0.count == previous.count ? $0 : nil } ?? Array(1...previous.count)
        let candidates = isTransitive ? Array(previous.indices.reversed()) : [previous.count - 1]
        for i in candidates {
            var messages: [String] = []
            if checksForward {
                messages += try checker.incompatibilities(reader: previous[i], writer: new, readerRole: .old).map(\.text)
            }
            if checksBackward {
                let backward = try checker.incompatibilities(reader: new, writer: previous[i], readerRole: .new).map(\.text)
                if !backward.isEmpty {
                    messages += backward + ["{oldSchemaVersion: \(numbers[i])}", "{oldSchema: '\(checker.text(of: previous[i]))'}"]
                }
            }
            if checksForward && !checksBackward && !messages.isEmpty {
                messages += ["{oldSchemaVersion: \(numbers[i])}", "{oldSchema: '\(checker.text(of: previous[i]))'}"]
            }
            if !messages.isEmpty {
                return CompatibilityResult(
                    isCompatible: false, messages: messages + ["{validateFields: 'false', compatibility: '\(rawValue)'}"])
            }
        }
        return CompatibilityResult(isCompatible: true, messages: [])
    }
}
