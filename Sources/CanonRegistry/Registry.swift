import CanonCore
import Foundation

/// The schema registry: Confluent Schema Registry's semantics over a ``RegistryStore``.
///
/// Writes are serialized (one at a time, in arrival order); each becomes one event that is appended to
/// the store, and applied to memory (so visible to reads) only once the store says it is durable. Reads
/// see only durable state.
public actor Registry {
    /// Settings that are not in the store.
    public struct Configuration: Sendable {
        /// The compatibility level when neither the subject nor the global config sets one (Confluent's
        /// `schema.compatibility.level`).
        public var defaultCompatibility: CompatibilityLevel = .backward
        /// The largest schema text accepted (42209 above it).
        public var maximumSchemaBytes = 512 * 1024
        /// The schema formats served, each with its settings (e.g. `AvroFormat(validatesDefaults:)`); a
        /// request for another `schemaType` is 42201.
        public var formats = SchemaFormats.builtIn
        /// Told how long each store append took to be durable, in nanoseconds (for metrics).
        public var onStoreAppend: (@Sendable (Int64) -> Void)?
        /// Whether to start when the store's events end below its ID high-water mark (registrations
        /// were lost): serve what is left, still never issuing an ID at or below the mark. Off: such a
        /// registry refuses to start.
        public var acceptLostRegistrations = false
        /// The work budget of one compatibility check (pairs of types compared): a check that needs more
        /// is refused with 42201 instead of holding a core (see ``SchemaCompatibilityChecker/defaultBudget``).
        public var compatibilityBudget = SchemaCompatibilityChecker.defaultBudget
        /// Told when a compatibility check starts (nil) and when it ends (its duration in nanoseconds);
        /// both calls come from the check's own task, off the registry actor.
        public var onCompatibilityCheck: (@Sendable (_ finishedAfter: Int64?) -> Void)?

        public init() {}
    }

    /// What a registration or lookup answers.
    public struct RegisteredSchema: Sendable, Hashable {
        public var subject: String
        public var version: Int
        public var id: Int32
        public var schemaType: SchemaType
        public var schema: String
        public var references: [SchemaReference]
    }

    /// A version number or `latest` (`-1`).
    public enum VersionSpec: Sendable, Hashable {
        case latest
        case number(Int)

        /// Parses a `{version}` path segment: 1...2^31-1, `latest` or `-1`; anything else is 42202.
        public init(_ text: String) throws(RegistryError) {
            if text == "latest" || text == "-1" {
                self = .latest
            } else if let n = Int32(text), n >= 1 {
                self = .number(Int(n))
            } else {
                throw .invalidVersion(text)
            }
        }
    }

    private let store: any RegistryStore
    public nonisolated let configuration: Configuration
    /// Counts the changes applied so far; readable without waiting for the actor (response caches
    /// compare it to know whether what they hold is still the answer).
    public nonisolated let changes = ChangeCounter()
    /// Writer schemas and subject membership for write-time validation, published after every change.
    public nonisolated let catalog: SchemaCatalog
    private var state = RegistryState()
    private var sequence: Int64 = 0
    private var parsed: [Int32: any ParsedSchema] = [:]
    /// Per ID with references: its full rendering with them resolved (see `versionResolving`).
    private var resolvedRenderings: [Int32: String] = [:]
    private var writing = false
    private var writers: [CheckedContinuation<Void, Never>] = []

    /// Opens the registry: replays every event of `store`.
    ///
    /// `catalog` receives the writer schemas and subject membership for a ``RegistryRecordValidator`` (create it
    /// first when the validator must exist before the registry, as the log engine's does).
    public init(store: any RegistryStore, configuration: Configuration = Configuration(), catalog: SchemaCatalog = SchemaCatalog())
        async throws(RegistryError)
    {
        self.store = store
        self.configuration = configuration
        self.catalog = catalog
        for (seq, event) in try await store.events(after: 0) {
            state.apply(event)
            sequence = seq
        }
        sequence = max(sequence, try await store.endSequence())
        idMark = try await store.idHighWaterMark()
        if idMark > state.maxID && !configuration.acceptLostRegistrations {
            throw .storeError(
                "the registry's events end at schema ID \(state.maxID), but IDs up to \(idMark) were issued: registrations were lost. "
                    + "Start with the loss accepted (canon serve --accept-lost-registrations) to serve what is left; "
                    + "IDs up to \(idMark) are never issued again")
        }
        if idMark > state.maxID { lostIDs = (state.maxID + 1)...idMark }
        // Events written before the mark was raised (a crash in between, or an older release): raise it.
        if state.maxID > idMark {
            try await store.raiseIDHighWaterMark(to: state.maxID)
            idMark = state.maxID
        }
        publishCatalog()
    }

    /// The highest schema ID ever issued as the store keeps it apart from the events.
    private var idMark: Int32 = 0
    /// IDs issued whose registrations were found lost at start (accepted with
    /// `acceptLostRegistrations`): IMPORT may not give them to content either.
    private var lostIDs: ClosedRange<Int32>?

    /// Raises the store's ID mark after an event that issued `id` is durable.
    private func retire(_ id: Int32) async throws(RegistryError) {
        guard id > idMark else { return }
        try await store.raiseIDHighWaterMark(to: id)
        idMark = id
    }

    /// The snapshot last published to `catalog`; each change updates the subjects it touched.
    private var published = SchemaCatalog.Snapshot()

    /// Publishes the writer schemas and subject membership the validator reads, for every subject
    /// (at start).
    private func publishCatalog() {
        for subject in state.subjects.keys { updateCatalog(subject) }
        catalog.publish(published)
    }

    /// Brings one subject's membership, latest version and writer schemas up to date in `published`
    /// (an ID no version uses any more leaves the snapshot).
    private func updateCatalog(_ name: String) {
        let previous = published.members[name] ?? []
        var ids = Set<Int32>()
        if let subject = state.subjects[name] {
            for version in subject.versions.values { ids.insert(version.id) }
            published.latest[name] = subject.versions.filter({ !$0.value.deleted }).max(by: { $0.key < $1.key })?.value.id
        } else {
            published.latest[name] = nil
        }
        published.members[name] = ids.isEmpty ? nil : ids
        for id in ids where published.schemas[id] == nil {
            // An ID's schema never changes: compiled once, when first published.
            if let schema = try? schema(ofID: id) { published.schemas[id] = WriterSchema(schema) }
        }
        for id in previous.subtracting(ids) where state.uses[id, default: 0] == 0 { published.schemas[id] = nil }
    }

    /// Publishes what an event changed.
    private func publishCatalog(after event: RegistryEvent) {
        switch event {
        case .schemaRegistered(let subject, _, _, _, _, _), .subjectDeleted(let subject, _, _), .versionDeleted(let subject, _, _):
            updateCatalog(subject)
        case .configSet, .policySet, .modeSet, .idsIssuedUpTo:
            return
        }
        catalog.publish(published)
    }

    /// The highest schema ID ever issued (lost registrations included).
    public var highestID: Int32 { max(state.maxID, idMark) }

    // MARK: - Writes, one at a time

    private func exclusively<R: Sendable>(_ body: () async throws(RegistryError) -> R) async throws(RegistryError) -> R {
        if writing {
            await withCheckedContinuation { writers.append($0) }
        } else {
            writing = true
        }
        defer {
            if writers.isEmpty { writing = false } else { writers.removeFirst().resume() }
        }
        return try await body()
    }

    /// Why the store stopped taking events (a failed fdatasync leaves the log read-only until a
    /// restart), if it did; `GET /health` reports it.
    public private(set) var storeFailure: String?

    /// Appends an event and applies it; `parsed` is the schema of the ID a registration issues, kept
    /// once the event is durable (and before the catalog is published, which needs it).
    private func commit(_ event: RegistryEvent, parsed schema: (id: Int32, schema: any ParsedSchema)? = nil) async throws(RegistryError) {
        let start = ContinuousClock.now
        do {
            sequence = try await store.append(event, expectedSequence: sequence)
        } catch {
            if error.code == 50001 { storeFailure = error.message }
            throw error
        }
        if let observe = configuration.onStoreAppend {
            let elapsed = ContinuousClock.now - start
            observe(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        }
        // An event that issues an ID above the mark raises the mark before anyone can see the ID (the
        // catalog, readers): no producer can use an ID the mark does not cover. The event is durable
        // either way, so it is applied even when raising fails (the next start raises the mark to it).
        var markFailure: RegistryError?
        if case .schemaRegistered(_, _, let id, _, _, _) = event, id > idMark {
            do { try await retire(id) } catch { markFailure = error }
        }
        if let schema { parsed[schema.id] = schema.schema }
        state.apply(event)
        publishCatalog(after: event)
        changes.increment()
        if let markFailure { throw markFailure }
    }

    // MARK: - Schemas

    private static func checkSubject(_ subject: String) throws(RegistryError) {
        guard !subject.isEmpty, !subject.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalidSubject(subject)
        }
    }

    /// Parses a schema with its references; the content it is identified by.
    private func content(schemaType: SchemaType?, schema: String, references: [SchemaReference], normalize: Bool = false)
        throws(RegistryError) -> (RegistryState.Content, any ParsedSchema)
    {
        let type = schemaType ?? .avro
        guard let format = configuration.formats[type] else {
            throw .invalidSchema(
                "schemaType \(type) is not supported (supported: \(configuration.formats.types.map(\.rawValue).joined(separator: ", ")))")
        }
        guard schema.utf8.count <= configuration.maximumSchemaBytes else {
            throw .schemaTooLarge(schema.utf8.count, limit: configuration.maximumSchemaBytes)
        }
        // A reference to `-1` (latest) means the latest version now: stored as that number, so the
        // content behind an ID never changes when the referenced subject moves on.
        var references = references
        for i in references.indices where references[i].version == -1 {
            guard let latest = state.subjects[references[i].subject]?.versions.filter({ !$0.value.deleted }).keys.max() else {
                throw .invalidSchema("reference \(references[i].name) names subject '\(references[i].subject)', which has no live version")
            }
            references[i].version = latest
        }
        if normalize {
            // The schema text is already normalized (the full rendering); normalizing also orders the
            // references and drops repeated ones, as Confluent does.
            var seen = Set<SchemaReference>()
            references = references.filter { seen.insert($0).inserted }
                .sorted { ($0.name, $0.subject, $0.version) < ($1.name, $1.subject, $1.version) }
        }
        // The parser with the references loaded, cached by the versions they resolve to (an ID's content
        // never changes): a schema that references large subjects parses them once, not per request.
        let key = ParserKey(
            type: type, ids: try references.map { (reference) throws(RegistryError) in try referencedVersion(reference).id })
        var parser: any SchemaParser
        if let cached = referenceParsers[key] {
            parser = cached
        } else {
            parser = format.makeParser()
            var resolved = Set<Int32>()
            for reference in references {
                try load(reference, into: &parser, resolved: &resolved, depth: 0)
            }
            if !references.isEmpty {
                if referenceParsers.count >= Self.referenceParserCacheSize { referenceParsers.removeAll() }
                referenceParsers[key] = parser
            }
        }
        let parsedSchema: any ParsedSchema
        do {
            parsedSchema = try parser.parse(schema)
        } catch {
            throw .invalidSchema("\(error)")
        }
        let text = normalize ? parsedSchema.normalizedText : parsedSchema.canonicalText
        return (RegistryState.Content(schemaType: type, schema: text, references: references), parsedSchema)
    }

    /// Parsers with references loaded, by the IDs the references resolve to, in order (see `content`).
    private var referenceParsers: [ParserKey: any SchemaParser] = [:]
    private struct ParserKey: Hashable {
        var type: SchemaType
        var ids: [Int32]
    }
    private static let referenceParserCacheSize = 64

    /// The version a reference names.
    private func referencedVersion(_ reference: SchemaReference) throws(RegistryError) -> RegistryState.Version {
        guard let subject = state.subjects[reference.subject] else {
            throw .invalidSchema("reference \(reference.name) names subject '\(reference.subject)', which does not exist")
        }
        guard let version = subject.versions[reference.version] else {
            throw .invalidSchema(
                "reference \(reference.name) names version \(reference.version) of '\(reference.subject)', which does not exist")
        }
        return version
    }

    /// Parses a referenced schema (and, first, what it references) into `parser`.
    private func load(_ reference: SchemaReference, into parser: inout any SchemaParser, resolved: inout Set<Int32>, depth: Int)
        throws(RegistryError)
    {
        guard depth < 32 else { throw .invalidSchema("references nest more than 32 deep") }
        let number = reference.version
        let version = try referencedVersion(reference)
        guard !resolved.contains(version.id), let content = state.contents[version.id] else { return }
        resolved.insert(version.id)
        for inner in content.references { try load(inner, into: &parser, resolved: &resolved, depth: depth + 1) }
        do {
            try parser.load(reference: reference.name, schema: content.schema, origin: "\(reference.subject) version \(number)")
        } catch {
            throw .invalidSchema("reference \(reference.name): \(error)")
        }
    }

    /// The parsed schema of a stored ID.
    private func schema(ofID id: Int32) throws(RegistryError) -> any ParsedSchema {
        if let cached = parsed[id] { return cached }
        guard let content = state.contents[id] else { throw .schemaNotFound("\(id)") }
        let schema = try self.content(schemaType: content.schemaType, schema: content.schema, references: content.references).1
        parsed[id] = schema
        return schema
    }

    private func effectiveMode(_ subject: String?) -> RegistryMode {
        subject.flatMap { state.subjects[$0]?.mode } ?? state.globalMode ?? .readWrite
    }

    private func effectiveLevel(_ subject: String) -> CompatibilityLevel {
        state.subjects[subject]?.config ?? state.globalConfig ?? configuration.defaultCompatibility
    }

    private func effectivePolicy(_ subject: String) -> CompatibilityPolicy? {
        state.subjects[subject]?.policy ?? state.globalPolicy
    }

    private func liveVersions(_ subject: String) -> [(number: Int, id: Int32)] {
        (state.subjects[subject]?.versions ?? [:]).filter { !$0.value.deleted }.map { ($0.key, $0.value.id) }.sorted {
            $0.number < $1.number
        }
    }

    /// Registers a schema under a subject (`POST /subjects/{subject}/versions`). A schema that is already
    /// a live version of the subject returns that version and writes nothing. In IMPORT mode `id` (and
    /// optionally `version`) are the caller's; otherwise they must be absent.
    ///
    /// The stored schema is always normalized as far as the text goes (the full rendering: names
    /// resolved, attributes in one order, no whitespace); `normalize` also orders its references.
    public func register(
        subject: String, schema: String, schemaType: SchemaType? = nil, references: [SchemaReference] = [],
        normalize: Bool = false, id requestedID: Int32? = nil, version requestedVersion: Int? = nil
    ) async throws(RegistryError) -> RegisteredSchema {
        try Self.checkSubject(subject)
        return try await exclusively { () async throws(RegistryError) -> RegisteredSchema in
            let mode = effectiveMode(subject)
            if mode == .readOnly { throw .notPermitted("Subject \(subject) is in read-only mode") }
            let (content, newSchema) = try self.content(
                schemaType: schemaType, schema: schema, references: references, normalize: normalize)
            let live = liveVersions(subject)
            // Already a live version: answer it, write nothing.
            if let existing = live.last(where: { state.contents[$0.id] == content }), requestedID == nil || requestedID == existing.id {
                try await retire(existing.id)  // a no-op unless raising the mark failed when it was registered
                return RegisteredSchema(
                    subject: subject, version: existing.number, id: existing.id, schemaType: content.schemaType,
                    schema: content.schema, references: content.references)
            }
            // The same schema sent with its references resolved in place (as serializers send the schema of a
            // generated type) is that version too, as in Confluent's registry.
            if let existing = versionResolving(to: content, subject: subject, includeDeleted: false),
                requestedID == nil || requestedID == existing.id, let stored = state.contents[existing.id]
            {
                return RegisteredSchema(
                    subject: subject, version: existing.number, id: existing.id, schemaType: stored.schemaType,
                    schema: stored.schema, references: stored.references)
            }
            let allNumbers = state.subjects[subject]?.versions.keys.max() ?? 0
            guard allNumbers < Int(Int32.max) else { throw .notPermitted("Subject \(subject) has used every version number") }
            var id: Int32
            var version = allNumbers + 1
            if mode == .import {
                guard let requestedID, requestedID >= 1 else {
                    throw .notPermitted("Subject \(subject) is in import mode: the request must give an id")
                }
                if let existing = live.last(where: { state.contents[$0.id] == content }), existing.id != requestedID {
                    throw .idDoesNotMatch("Schema already registered with id \(existing.id) instead of input id \(requestedID)")
                }
                if let other = state.contents[requestedID], other != content {
                    throw .notPermitted("Overwrite new schema with id \(requestedID) is not permitted.")
                }
                if state.contents[requestedID] == nil, lostIDs?.contains(requestedID) == true {
                    throw .notPermitted(
                        "id \(requestedID) was issued before and its registration was lost; an ID is never given to other content")
                }
                id = requestedID
                if let requestedVersion {
                    guard requestedVersion >= 1, requestedVersion <= Int(Int32.max),
                        state.subjects[subject]?.versions[requestedVersion] == nil
                    else {
                        throw .notPermitted("Version \(requestedVersion) of subject \(subject) already exists")
                    }
                    version = requestedVersion
                }
            } else {
                if let requestedID, requestedID >= 0 { throw .notPermitted("An id (\(requestedID)) may only be given in IMPORT mode") }
                if let requestedVersion, requestedVersion != version {
                    throw .notPermitted("Version \(requestedVersion) is not the next version (\(version)) of subject \(subject)")
                }
                // Compatibility with the live versions, as the level says.
                let level = effectiveLevel(subject)
                if level != .none, !live.isEmpty {
                    let previous = try live.map { (v) throws(RegistryError) in try self.schema(ofID: v.id) }
                    let result = try await Self.check(
                        level, newSchema, against: previous, versions: live.map(\.number), policy: effectivePolicy(subject),
                        configuration: configuration)
                    if !result.isCompatible { throw .incompatible(subject: subject, result.messages) }
                }
                // An identical schema keeps its ID (across subjects and after deletes); new content gets
                // one above every ID ever issued.
                if let known = state.idByContent[content] {
                    id = known
                } else {
                    let highest = max(state.maxID, idMark)
                    guard highest < Int32.max else {
                        throw .notPermitted(
                            "no schema ID is left for new schemas: ID \(Int32.max) has been issued and IDs are never reused")
                    }
                    id = highest + 1
                }
            }
            try await commit(
                .schemaRegistered(
                    subject: subject, version: version, id: id, schemaType: content.schemaType,
                    schema: content.schema, references: content.references),
                parsed: (id, newSchema))
            return RegisteredSchema(
                subject: subject, version: version, id: id, schemaType: content.schemaType, schema: content.schema,
                references: content.references)
        }
    }

    /// Finds the version of a subject holding a schema (`POST /subjects/{subject}`). The server answers
    /// repeated lookups from its response cache; this computes one.
    public func lookup(
        subject: String, schema: String, schemaType: SchemaType? = nil, references: [SchemaReference] = [], normalize: Bool = false,
        includeDeleted: Bool = false
    ) throws(RegistryError) -> RegisteredSchema {
        guard let entry = state.subjects[subject], entry.versions.contains(where: { includeDeleted || !$0.value.deleted }) else {
            throw .subjectNotFound(subject)
        }
        let (content, _) = try self.content(schemaType: schemaType, schema: schema, references: references, normalize: normalize)
        // The subject's own versions decide (IMPORT may have given the same content another ID elsewhere).
        guard
            let match = entry.versions.filter({ state.contents[$0.value.id] == content && (includeDeleted || !$0.value.deleted) })
                .max(by: { $0.key < $1.key })
        else {
            if let resolved = versionResolving(to: content, subject: subject, includeDeleted: includeDeleted),
                let stored = state.contents[resolved.id]
            {
                return RegisteredSchema(
                    subject: subject, version: resolved.number, id: resolved.id, schemaType: stored.schemaType,
                    schema: stored.schema, references: stored.references)
            }
            throw .schemaNotFound()
        }
        return RegisteredSchema(
            subject: subject, version: match.key, id: match.value.id, schemaType: content.schemaType, schema: content.schema,
            references: content.references)
    }

    /// The latest version of `subject` that has references and whose schema, with them resolved in place,
    /// is `schema` (which has none): Confluent's lookup and registration also accept "a schema sent with
    /// all references resolved" as the version that references them.
    private func versionResolving(to content: RegistryState.Content, subject: String, includeDeleted: Bool) -> (number: Int, id: Int32)? {
        // Without references, the content's text is the full rendering.
        guard content.references.isEmpty, let entry = state.subjects[subject] else { return nil }
        for (number, version) in entry.versions.sorted(by: { $0.key > $1.key }) where includeDeleted || !version.deleted {
            guard state.contents[version.id]?.references.isEmpty == false, resolvedRendering(ofID: version.id) == content.schema else {
                continue
            }
            return (number, version.id)
        }
        return nil
    }

    /// The full rendering of an ID's schema with its references resolved in place, kept (an ID's content
    /// never changes).
    private func resolvedRendering(ofID id: Int32) -> String? {
        if let kept = resolvedRenderings[id] { return kept }
        guard let rendering = try? schema(ofID: id).resolvedText else { return nil }
        resolvedRenderings[id] = rendering
        return rendering
    }

    /// The schema an ID denotes, while some version (soft-deleted ones included) uses it.
    public func schema(id: Int32) throws(RegistryError) -> RegistryState.Content {
        guard let content = state.contents[id], state.uses[id, default: 0] > 0 else { throw .schemaNotFound("\(id)") }
        return content
    }

    /// The subject/version pairs using an ID.
    public func versions(usingID id: Int32, includeDeleted: Bool = false) throws(RegistryError) -> [(subject: String, version: Int)] {
        _ = try schema(id: id)
        var out: [(subject: String, version: Int)] = []
        for (name, subject) in state.subjects.sorted(by: { $0.key < $1.key }) {
            for (number, v) in subject.versions.sorted(by: { $0.key < $1.key }) where v.id == id && (includeDeleted || !v.deleted) {
                out.append((name, number))
            }
        }
        return out
    }

    /// Subjects with a live version (and soft-deleted ones with `includeDeleted`, only those with
    /// `deletedOnly`), sorted, optionally by prefix.
    public func subjects(prefix: String = "", includeDeleted: Bool = false, deletedOnly: Bool = false) -> [String] {
        state.subjects.compactMap { name, subject -> String? in
            guard name.hasPrefix(prefix), !subject.versions.isEmpty else { return nil }
            let hasLive = subject.versions.values.contains { !$0.deleted }
            if deletedOnly { return hasLive ? nil : name }
            return hasLive || includeDeleted ? name : nil
        }.sorted()
    }

    /// A subject's version numbers.
    public func versions(of subject: String, includeDeleted: Bool = false, deletedOnly: Bool = false) throws(RegistryError) -> [Int] {
        guard let entry = state.subjects[subject], !entry.versions.isEmpty else { throw .subjectNotFound(subject) }
        let numbers = entry.versions.filter { deletedOnly ? $0.value.deleted : (includeDeleted || !$0.value.deleted) }.keys.sorted()
        if numbers.isEmpty && !deletedOnly && !includeDeleted { throw .subjectNotFound(subject) }
        return numbers
    }

    /// One version of a subject.
    public func version(_ spec: VersionSpec, of subject: String, includeDeleted: Bool = false) throws(RegistryError) -> RegisteredSchema {
        guard let entry = state.subjects[subject], entry.versions.contains(where: { includeDeleted || !$0.value.deleted }) else {
            throw .subjectNotFound(subject)
        }
        let number: Int
        switch spec {
        case .latest:
            guard let latest = entry.versions.filter({ includeDeleted || !$0.value.deleted }).keys.max() else {
                throw .versionNotFound("latest")
            }
            number = latest
        case .number(let n):
            guard let v = entry.versions[n], includeDeleted || !v.deleted else { throw .versionNotFound("\(n)") }
            number = n
        }
        let v = entry.versions[number]!
        let content = state.contents[v.id]!
        return RegisteredSchema(
            subject: subject, version: number, id: v.id, schemaType: content.schemaType, schema: content.schema,
            references: content.references)
    }

    /// IDs of the schemas that reference a subject's version.
    public func referencedBy(_ spec: VersionSpec, of subject: String) throws(RegistryError) -> [Int32] {
        let target = try version(spec, of: subject, includeDeleted: true)
        return referrers(subject: subject, version: target.version)
    }

    /// IDs of live versions whose references name this version (references are stored with concrete
    /// version numbers: `-1` is pinned at registration).
    private func referrers(subject: String, version: Int) -> [Int32] {
        var ids = Set<Int32>()
        for (_, entry) in state.subjects {
            for v in entry.versions.values where !v.deleted {
                if state.contents[v.id]?.references.contains(where: { $0.subject == subject && $0.version == version }) == true {
                    ids.insert(v.id)
                }
            }
        }
        return ids.sorted()
    }

    // MARK: - Deletes

    /// Soft-deletes every live version of a subject, or (`permanent`) removes every soft-deleted one.
    /// Returns the versions affected.
    public func deleteSubject(_ subject: String, permanent: Bool) async throws(RegistryError) -> [Int] {
        try await exclusively { () async throws(RegistryError) -> [Int] in
            guard let entry = state.subjects[subject], !entry.versions.isEmpty else { throw .subjectNotFound(subject) }
            if effectiveMode(subject) == .readOnly { throw .notPermitted("Subject \(subject) is in read-only mode") }
            let live = entry.versions.filter { !$0.value.deleted }.keys.sorted()
            if permanent {
                guard live.isEmpty else { throw .subjectNotSoftDeleted(subject) }
            } else if live.isEmpty {
                throw .subjectSoftDeleted(subject)
            }
            let targets = permanent ? entry.versions.keys.sorted() : live
            for number in targets where !referrers(subject: subject, version: number).filter({ !usesOnly(subject, $0) }).isEmpty {
                throw .referenceExists("\(subject) version \(number)")
            }
            try await commit(.subjectDeleted(subject: subject, versions: targets, permanent: permanent))
            return targets
        }
    }

    /// Whether `id` is used by versions of `subject` only (a subject may reference itself when deleted whole).
    private func usesOnly(_ subject: String, _ id: Int32) -> Bool {
        state.subjects.allSatisfy { name, entry in name == subject || !entry.versions.values.contains { $0.id == id && !$0.deleted } }
    }

    /// Soft-deletes one version, or (`permanent`) removes a soft-deleted one. Returns its number.
    public func deleteVersion(_ spec: VersionSpec, of subject: String, permanent: Bool) async throws(RegistryError) -> Int {
        try await exclusively { () async throws(RegistryError) -> Int in
            guard let entry = state.subjects[subject], !entry.versions.isEmpty else { throw .subjectNotFound(subject) }
            if effectiveMode(subject) == .readOnly { throw .notPermitted("Subject \(subject) is in read-only mode") }
            let number: Int
            switch spec {
            case .latest:
                guard let latest = entry.versions.filter({ permanent || !$0.value.deleted }).keys.max() else {
                    throw .versionNotFound("latest")
                }
                number = latest
            case .number(let n):
                guard entry.versions[n] != nil else { throw .versionNotFound("\(n)") }
                number = n
            }
            let v = entry.versions[number]!
            if permanent && !v.deleted { throw .versionNotSoftDeleted(subject, number) }
            if !permanent && v.deleted { throw .versionSoftDeleted(subject, number) }
            if !referrers(subject: subject, version: number).isEmpty { throw .referenceExists("\(subject) version \(number)") }
            try await commit(.versionDeleted(subject: subject, version: number, permanent: permanent))
            return number
        }
    }

    // MARK: - Compatibility

    /// Checks a schema against a subject's version (or, with nil, against the versions the level names).
    public func checkCompatibility(
        subject: String, version spec: VersionSpec?, schema: String, schemaType: SchemaType? = nil,
        references: [SchemaReference] = []
    ) async throws(RegistryError) -> CompatibilityResult {
        let (_, newSchema) = try content(schemaType: schemaType, schema: schema, references: references)
        let level = effectiveLevel(subject)
        var live = liveVersions(subject)
        if let spec {
            switch spec {
            case .latest:
                live = live.suffix(1).map { $0 }  // an empty subject is compatible with `latest`
            case .number(let n):
                // Confluent answers 40402 whether the subject or only the version is missing.
                guard let v = live.first(where: { $0.number == n }) else { throw .versionNotFound("\(n)") }
                live = [v]
            }
        }
        let previous = try live.map { (v) throws(RegistryError) in try self.schema(ofID: v.id) }
        return try await Self.check(
            level, newSchema, against: previous, versions: live.map(\.number), policy: effectivePolicy(subject),
            configuration: configuration)
    }

    /// Runs a compatibility check off the actor and off Swift's cooperative threads (on a Dispatch
    /// worker): a long check (within the budget) holds one core, not the registry, and never the few
    /// threads every request needs, so reads, lookups and `/health` go on meanwhile (writes wait their
    /// turn as always).
    private nonisolated static func check(
        _ level: CompatibilityLevel, _ new: any ParsedSchema, against previous: [any ParsedSchema], versions: [Int],
        policy: CompatibilityPolicy?, configuration: Configuration
    ) async throws(RegistryError) -> CompatibilityResult {
        let budget = configuration.compatibilityBudget
        let observe = configuration.onCompatibilityCheck
        let outcome = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<CompatibilityResult, RegistryError>, Never>) in
            DispatchQueue.global(qos: .userInitiated).async {
                let start = ContinuousClock.now
                observe?(nil)
                let result: Result<CompatibilityResult, RegistryError>
                do {
                    result = .success(
                        try level.check(
                            new, against: previous, versions: versions,
                            using: SchemaCompatibilityChecker(formats: configuration.formats, budget: budget, policy: policy)))
                } catch {
                    result = .failure(.invalidSchema("\(error)"))
                }
                let elapsed = ContinuousClock.now - start
                observe?(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
                continuation.resume(returning: result)
            }
        }
        return try outcome.get()
    }

    // MARK: - Config and mode

    /// The compatibility level: global (nil subject), or the subject's; with `defaultToGlobal` a subject
    /// without its own gets the global one, else 40408.
    public func compatibility(subject: String?, defaultToGlobal: Bool = false) throws(RegistryError) -> CompatibilityLevel {
        guard let subject else { return state.globalConfig ?? configuration.defaultCompatibility }
        if let level = state.subjects[subject]?.config { return level }
        if defaultToGlobal { return state.globalConfig ?? configuration.defaultCompatibility }
        throw .subjectCompatibilityNotConfigured(subject)
    }

    public func setCompatibility(_ level: CompatibilityLevel, subject: String?) async throws(RegistryError) {
        if let subject { try Self.checkSubject(subject) }
        try await exclusively { () async throws(RegistryError) in
            try await commit(.configSet(subject: subject, level: level))
        }
    }

    /// Removes a subject's (or the global) config, its level and its policy; returns the level removed.
    public func deleteCompatibility(subject: String?) async throws(RegistryError) -> CompatibilityLevel {
        try await exclusively { () async throws(RegistryError) -> CompatibilityLevel in
            if let subject, state.subjects[subject] == nil { throw .subjectNotFound(subject) }
            let old = try compatibility(subject: subject, defaultToGlobal: true)
            if (subject.flatMap { state.subjects[$0]?.policy } ?? (subject == nil ? state.globalPolicy : nil)) != nil {
                try await commit(.policySet(subject: subject, policy: nil))
            }
            try await commit(.configSet(subject: subject, level: nil))
            return old
        }
    }

    /// The compatibility policy: global (nil subject) or the subject's own; with `defaultToGlobal` a
    /// subject without its own gets the global one. Nil when none is set.
    public func compatibilityPolicy(subject: String?, defaultToGlobal: Bool = false) -> CompatibilityPolicy? {
        guard let subject else { return state.globalPolicy }
        return state.subjects[subject]?.policy ?? (defaultToGlobal ? state.globalPolicy : nil)
    }

    /// Sets a subject's (or the global) compatibility policy (Confluent's `compatibilityPolicy`).
    public func setCompatibilityPolicy(_ policy: CompatibilityPolicy, subject: String?) async throws(RegistryError) {
        if let subject { try Self.checkSubject(subject) }
        try await exclusively { () async throws(RegistryError) in
            try await commit(.policySet(subject: subject, policy: policy))
        }
    }

    public func mode(subject: String?, defaultToGlobal: Bool = false) throws(RegistryError) -> RegistryMode {
        guard let subject else { return state.globalMode ?? .readWrite }
        if let mode = state.subjects[subject]?.mode { return mode }
        if defaultToGlobal { return state.globalMode ?? .readWrite }
        throw .subjectModeNotConfigured(subject)
    }

    /// Switching the global mode to IMPORT while subjects have live versions needs `force` (as Confluent).
    public func setMode(_ mode: RegistryMode, subject: String?, force: Bool = false) async throws(RegistryError) {
        if let subject { try Self.checkSubject(subject) }
        try await exclusively { () async throws(RegistryError) in
            if mode == .import, !force {
                let inScope = subject.map { [$0] } ?? subjects()
                if inScope.contains(where: { !liveVersions($0).isEmpty }) {
                    throw .notPermitted("Cannot import since found existing subjects; use force=true to switch to IMPORT anyway")
                }
            }
            try await commit(.modeSet(subject: subject, mode: mode))
        }
    }

    public func deleteMode(subject: String?) async throws(RegistryError) -> RegistryMode {
        try await exclusively { () async throws(RegistryError) -> RegistryMode in
            if let subject, state.subjects[subject] == nil { throw .subjectNotFound(subject) }
            let old = try mode(subject: subject, defaultToGlobal: true)
            try await commit(.modeSet(subject: subject, mode: nil))
            return old
        }
    }
}

/// A counter of applied changes, readable from any thread.
public final class ChangeCounter: Sendable {
    private let count = Locked<UInt64>(0)

    public init() {}

    /// The number of changes applied so far.
    public var value: UInt64 { count.value }

    func increment() { count.withValue { $0 += 1 } }
}
