import CanonAvro
import CanonCodegen
import CanonCore
import CanonRegistryClient

/// Brings subjects from a registry into a repository: one schema file per subject version (named after
/// its record's full name), the schemas they reference as files of their own, and the entries of
/// `canon-codegen.json` that map them back to their subjects.
public struct SchemaPuller: Sendable {
    public let client: RegistryClient

    public init(client: RegistryClient) {
        self.client = client
    }

    /// One schema brought from the registry.
    public struct PulledSchema: Sendable, Hashable {
        public var subject: String
        public var version: Int
        public var id: Int32
        /// The top-level type's full name, or the primitive's name.
        public var name: String
        /// The schema as the registry holds it.
        public var schema: JSONValue
        public var references: [SchemaReference]
        /// Whether it was asked for (not only referenced).
        public var requested: Bool

        /// Whether the schema is a named type that gets a file (a primitive does not).
        public var isNamed: Bool {
            if case .object = schema { return true }
            return false
        }
    }

    /// A subject that cannot be pulled, and why.
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public var subject: String
        public var message: String
        public var description: String { "\(subject): \(message)" }
    }

    /// The subjects to pull: `subjects`, every subject (`all`), or those starting with `prefix`. For a
    /// `<topic>-value` subject, `<topic>-key` comes too when the registry has it. A prefix that matches
    /// nothing is a ``Problem``.
    public func subjects(named subjects: [String], all: Bool, prefix: String?) async throws -> [String] {
        let known = try await client.subjects()
        var wanted = subjects
        if all { wanted += known }
        if let prefix {
            let matching = known.filter { $0.hasPrefix(prefix) }
            if matching.isEmpty { throw Problem(subject: prefix + "*", message: "no subject of the registry starts with '\(prefix)'") }
            wanted += matching
        }
        for s in wanted where s.hasSuffix("-value") {
            let key = String(s.dropLast("-value".count)) + "-key"
            if known.contains(key) { wanted.append(key) }
        }
        var seen: Set<String> = []
        return wanted.filter { seen.insert($0).inserted }
    }

    /// Fetches the latest version of each subject and, recursively, the versions they reference. A
    /// subject in `skippable` (one a bulk pull found, not one the user named) that cannot be pulled (a
    /// format other than Avro, an unnamed schema) is left out with a note instead of failing the pull.
    public func fetch(_ subjects: [String], skippable: Set<String> = []) async throws -> (schemas: [PulledSchema], skipped: [String]) {
        var pulled: [PulledSchema] = []
        var fetched: Set<String> = []
        func fetch(_ subject: String, _ version: String, requested: Bool, depth: Int) async throws {
            guard depth < 32 else { throw Problem(subject: subject, message: "references nest more than 32 deep") }
            let answer: JSONValue
            do {
                answer = try await client.send("GET", "/subjects/\(RegistryClient.path(subject))/versions/\(version)")
            } catch {
                if let unreachable = RegistryUnreachable(error, url: client.baseURL) { throw unreachable }
                throw Problem(subject: subject, message: error.description)
            }
            let type = answer["schemaType"]?.stringValue ?? "AVRO"
            guard type == "AVRO" else {
                throw Problem(subject: subject, message: "its schema is \(type); Canon's generator reads Avro schemas only so far")
            }
            guard let text = answer["schema"]?.stringValue, let number = answer["version"]?.int64Value,
                let id = answer["id"]?.int64Value.flatMap({ Int32(exactly: $0) })
            else {
                throw Problem(subject: subject, message: "the registry's answer has no schema, version or id")
            }
            guard fetched.insert("\(subject)\u{0}\(number)").inserted else {
                if requested, let i = pulled.firstIndex(where: { $0.subject == subject && $0.version == Int(number) }) {
                    pulled[i].requested = true
                }
                return
            }
            var references: [SchemaReference] = []
            if case .array(let items)? = answer["references"] {
                for item in items {
                    guard let reference = SchemaReference(json: item) else {
                        throw Problem(subject: subject, message: "a reference of version \(number) is not {name, subject, version}")
                    }
                    references.append(reference)
                }
            }
            for r in references { try await fetch(r.subject, String(r.version), requested: false, depth: depth + 1) }
            let json: JSONValue
            do { json = try JSONReader.parse(text) } catch { throw Problem(subject: subject, message: "its schema is not JSON: \(error)") }
            let name: String
            switch json {
            case .object(let o):
                guard let n = o["name"]?.stringValue else {
                    throw Problem(
                        subject: subject,
                        message:
                            "its schema is an unnamed \(o["type"]?.stringValue ?? "type"); only named types and primitives can be pulled")
                }
                let namespace = o["namespace"]?.stringValue
                name = n.contains(".") || namespace == nil || namespace == "" ? n : "\(namespace!).\(n)"
            case .string(let s):
                guard let p = AvroSchema.Primitive(rawValue: s), TopicSetting.primitives.contains(p) else {
                    throw Problem(subject: subject, message: "its schema \"\(s)\" is not a named type or a primitive a topic can use")
                }
                name = s
            default:
                throw Problem(
                    subject: subject,
                    message: "its schema is a union or another unnamed type; only named types and primitives can be pulled")
            }
            pulled.append(
                PulledSchema(
                    subject: subject, version: Int(number), id: id, name: name, schema: json, references: references, requested: requested))
        }
        var skipped: [String] = []
        for subject in subjects {
            do {
                try await fetch(subject, "latest", requested: true, depth: 0)
            } catch let problem as Problem where skippable.contains(subject) {
                skipped.append("skipped \(problem)")
            }
        }
        return (pulled, skipped)
    }
}

/// The files a pull writes: schema files and the updated `canon-codegen.json`.
public struct PullPlan: Sendable {
    /// A file to write, with its path relative to the config's folder.
    public struct File: Sendable, Hashable {
        public var path: String
        public var contents: String
        /// The subject it comes from.
        public var subject: String
    }

    public var files: [File]
    /// The new text of `canon-codegen.json`.
    public var config: String
    /// Things the user should know (a topic key assumed to be a string).
    public var notes: [String]

    /// Plans the files for `pulled` schemas. `existing` are the schema files already there (paths
    /// relative to the config's folder): one that defines a pulled type is overwritten in place rather
    /// than duplicated. `schemaFolder` is where new files go, relative to the config's folder.
    public init(pulled: [SchemaPuller.PulledSchema], config configText: String?, existing: [SourceFile], schemaFolder: String)
        throws(CodegenConfigError)
    {
        var root: JSONObject = [:]
        var settings = CodegenConfig()
        if let configText {
            settings = try CodegenConfig(parsing: configText)  // refuses text that is not a JSON object
            if case .object(let o)? = try? JSONReader.parse(configText) { root = o }
        }
        var existingByName: [String: String] = [:]
        for file in existing {
            if let json = try? JSONReader.parse(file.contents), case .object = json,
                let name = SchemaSet.definedNames(json, namespace: nil).first
            {
                existingByName[name] = file.path
            }
        }
        let folder = schemaFolder.isEmpty || schemaFolder == "." ? "" : schemaFolder.hasSuffix("/") ? schemaFolder : schemaFolder + "/"
        // One file a type: the version asked for wins over one only referenced; another version of
        // the same type with other content is named in a note.
        var notes: [String] = []
        var chosen: [String: SchemaPuller.PulledSchema] = [:]
        for p in pulled where p.isNamed {
            guard let current = chosen[p.name] else { chosen[p.name] = p; continue }
            if !current.requested && p.requested { chosen[p.name] = p }
        }
        var files: [File] = []
        var pathOf: [String: String] = [:]
        for p in pulled where p.isNamed && pathOf[p.name] == nil {
            let winner = chosen[p.name]!
            let path = existingByName[p.name] ?? "\(folder)\(p.name).avsc"
            pathOf[p.name] = path
            files.append(File(path: path, contents: winner.schema.indentedText, subject: winner.subject))
            for other in pulled where other.name == p.name && other.schema != winner.schema {
                notes.append(
                    "\(p.name): \(path) holds version \(winner.version) of \(winner.subject); version \(other.version) of \(other.subject), which differs, was not written (schemas referencing it will check as new versions)"
                )
            }
        }

        var topics: [JSONValue] = root["topics"].flatMap { if case .array(let a) = $0 { return a } else { return nil } } ?? []
        var subjects: JSONObject = root["subjects"].flatMap { if case .object(let o) = $0 { return o } else { return nil } } ?? [:]
        func topicIndex(_ name: String) -> Int? { topics.firstIndex { $0["topic"]?.stringValue == name } }
        let byTopic = settings.subjectNameStrategy == .topic
        // Referenced schemas whose subject the defaults derive (the type's full name) need no entry.
        let referencedSubjects = Set(pulled.flatMap(\.references).map(\.subject))
        for p in pulled
        where (!p.isNamed || chosen[p.name]?.subject == p.subject)
            && (p.requested || !referencedSubjects.contains(p.subject) || p.subject != p.name)
        {
            let isValue = p.subject.hasSuffix("-value"), isKey = p.subject.hasSuffix("-key")
            if byTopic, p.requested, isValue || isKey {
                let topic = String(p.subject.dropLast(isValue ? "-value".count : "-key".count))
                if isValue {
                    let key = pulled.first { $0.subject == "\(topic)-key" }?.name
                    if let i = topicIndex(topic), case .object(var o) = topics[i] {
                        o["value"] = .string(p.name)
                        if let key { o["key"] = .string(key) }
                        topics[i] = .object(o)
                    } else {
                        if key == nil {
                            notes.append(
                                "\(topic)-key is not in the registry: topic '\(topic)' gets the key \"string\"; change it in \(CanonCodegen.configFileName) if its keys are something else"
                            )
                        }
                        topics.append(.object(["topic": .string(topic), "key": .string(key ?? "string"), "value": .string(p.name)]))
                    }
                    continue
                }
                if pulled.contains(where: { $0.subject == "\(topic)-value" }) { continue }  // set with its value
                if let i = topicIndex(topic), case .object(var o) = topics[i] {
                    o["key"] = .string(p.name)
                    topics[i] = .object(o)
                    continue
                }
            }
            guard let path = pathOf[p.name] else {
                notes.append("\(p.subject) holds the primitive \"\(p.name)\", which needs no file; map it as a topic's key or value")
                continue
            }
            subjects[path] = .string(p.subject)
        }
        if !topics.isEmpty { root["topics"] = .array(topics) }
        if !subjects.isEmpty { root["subjects"] = .object(subjects) }
        self.files = files
        self.config = JSONValue.object(root).indentedText
        self.notes = notes
    }
}
