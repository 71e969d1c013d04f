import CanonAvro
import CanonCore

/// Which registry subject each schema of a target belongs to, as `canon-codegen.json` says, with the
/// registry references that named types defined in other files become: what the schema workflow
/// (`canon registry check|register|pull`, `swift package canon …`) checks and registers.
///
/// A schema file belongs to:
/// - the subject `subjects` gives for its path, if any;
/// - the key or value subject of each topic whose `key` or `value` names the file's top-level type,
///   as the topic's `keySubject`/`valueSubject` or `subjectNameStrategy` names it;
/// - else, when another mapped schema uses one of its types, the full name of its top-level type.
///
/// A topic whose key or value is a primitive (`"key": "string"`) maps that primitive schema to its
/// subject. Files that nothing maps or uses are listed in ``unmapped``.
public struct SchemaMapping: Sendable {
    /// A registry reference to the schema of another file: `name` is the referenced type's full name.
    public struct Reference: Sendable, Hashable {
        public var name: String
        /// The subject the referenced file belongs to (its first mapped subject).
        public var subject: String
        /// The referenced file.
        public var file: String

        public init(name: String, subject: String, file: String) {
            self.name = name
            self.subject = subject
            self.file = file
        }
    }

    /// One schema to keep in step with one subject.
    public struct Entry: Sendable, Hashable {
        public var subject: String
        /// The schema file (relative path), or `nil` for a topic's primitive key or value.
        public var file: String?
        /// The text to register: the file as written (references stay references), or a primitive's
        /// JSON (`"string"`).
        public var schema: String
        /// The same schema with every type it uses defined in place: what a compatibility check sends
        /// when a referenced schema is not registered yet.
        public var selfContained: String
        /// References to the schemas of other files, referenced files first.
        public var references: [Reference]
        /// Why the schema belongs to the subject (`value of topic 'orders'`, `subjects in canon-codegen.json`).
        public var origin: String
        /// The schema's format: a `.schema.json` file's is JSON (registered self-contained: the files it
        /// references bundled in, as its generated type's `jsonSchema`).
        public var schemaType: SchemaType = .avro
    }

    /// Every mapped schema, each after the schemas it references.
    public var entries: [Entry]
    /// Schema files that belong to no subject (nothing maps or uses them).
    public var unmapped: [String]

    /// Maps `files` (paths relative to the config's folder) as `config` says. Every problem is reported
    /// at once, naming the file (`configPath` for the config's own).
    public init(config: CodegenConfig, configPath: String, files: [SourceFile]) throws(CodegenError) {
        var diagnostics: [Diagnostic] = []
        // JSON Schema files: their root types by Swift name and by title, as topics name them.
        let jsonModel = JSONTypeModel(sourceFiles: files)
        diagnostics += jsonModel.diagnostics
        let jsonText = jsonModel.files
        let jsonRoots = jsonModel.topicTypes
        var jsonSubjects: [String: [(subject: String, origin: String)]] = [:]
        let avroFiles = files.filter { !CanonCodegen.isJSONSchema($0.path) }
        let set = try SchemaSet(files: avroFiles)
        let schema = set.schema
        let paths = avroFiles.map(\.path)
        // Which file defines each named type, and the file whose top-level type each root is.
        var definingFile: [Int: String] = [:]
        for (file, types) in set.definitions { for t in types { definingFile[t] = file.path } }
        var fileOfRoot: [Int: String] = [:]
        for path in paths { if let r = set.roots[path], schema[r].name != nil { fileOfRoot[r] = path } }

        // The files each file's schema uses types of, in first-use order.
        var uses: [String: [(name: String, file: String)]] = [:]
        for path in paths {
            guard let root = set.roots[path] else { continue }
            var seen: Set<Int> = []
            var found: [(String, String)] = []
            var stack = [root]
            while let i = stack.popLast() {
                guard seen.insert(i).inserted else { continue }
                if let owner = definingFile[i], owner != path {
                    if !found.contains(where: { $0.1 == owner }) {
                        let ownerRoot = set.roots[owner]
                        let name = ownerRoot.flatMap { schema[$0].name?.fullName } ?? schema[i].name?.fullName ?? ""
                        found.append((name, owner))
                    }
                    continue
                }
                stack += Self.children(of: schema[i]).reversed()
            }
            uses[path] = found
        }

        // Subjects per file: explicit ones, then topics' keys and values.
        var subjectsOfFile: [String: [(subject: String, origin: String)]] = [:]
        var primitiveEntries: [Entry] = []
        for (file, subject) in config.subjects.sorted(by: { $0.key < $1.key }) {
            if jsonText[file] != nil {
                jsonSubjects[file, default: []].append((subject, "subjects in \(CanonCodegen.configFileName)"))
                continue
            }
            guard paths.contains(file) else {
                diagnostics.append(
                    Diagnostic(
                        file: configPath, message: "/subjects/\(file): no schema file '\(file)' (paths are relative to the config's folder)"
                    ))
                continue
            }
            subjectsOfFile[file, default: []].append((subject, "subjects in \(CanonCodegen.configFileName)"))
        }
        for (i, topic) in config.topics.enumerated() {
            for (isKey, setting) in [(true, topic.key), (false, topic.value)] {
                let role = isKey ? "key" : "value"
                if let json = jsonRoots[setting] {
                    let subject = config.subject(of: topic, isKey: isKey, recordName: json.recordName)
                    if jsonSubjects[json.path]?.contains(where: { $0.subject == subject }) != true {
                        jsonSubjects[json.path, default: []].append((subject, "\(role) of topic '\(topic.topic)'"))
                    }
                    continue
                }
                if isKey, jsonRoots[topic.value] != nil, setting == "string" {
                    // A JSON topic's string key: the JSON schema its serializer registers.
                    let text = #"{"type":"string"}"#
                    let subject = config.subject(of: topic, isKey: true, recordName: "string")
                    if !primitiveEntries.contains(where: { $0.subject == subject && $0.schema == text }) {
                        primitiveEntries.append(
                            Entry(
                                subject: subject, file: nil, schema: text, selfContained: text, references: [],
                                origin: "key of topic '\(topic.topic)'",
                                schemaType: .json))
                    }
                    continue
                }
                let subject = config.subject(of: topic, isKey: isKey, recordName: TopicSetting.recordName(setting, in: schema))
                let origin = "\(role) of topic '\(topic.topic)'"
                switch TopicSetting.resolve(setting, in: schema) {
                case .failure(let error):
                    diagnostics.append(Diagnostic(file: configPath, message: "/topics/\(i)/\(role): \(error.message)"))
                case .success(.primitive(let p)):
                    let text = JSONValue.string(p.rawValue).jsonText
                    // Several topics may share one (RecordNameStrategy: every string key is subject "string").
                    if !primitiveEntries.contains(where: { $0.subject == subject && $0.schema == text }) {
                        primitiveEntries.append(
                            Entry(subject: subject, file: nil, schema: text, selfContained: text, references: [], origin: origin))
                    }
                case .success(.named(let index)):
                    guard let file = fileOfRoot[index] else {
                        let where_ = definingFile[index].map { " inside \($0)" } ?? ""
                        diagnostics.append(
                            Diagnostic(
                                file: configPath,
                                message:
                                    "/topics/\(i)/\(role): '\(setting)' is defined\(where_), not at the top level of a schema file; give it a file of its own to register it"
                            ))
                        continue
                    }
                    if subjectsOfFile[file]?.contains(where: { $0.subject == subject }) != true {
                        subjectsOfFile[file, default: []].append((subject, origin))
                    }
                }
            }
        }
        // Files used by mapped files get the full name of their top-level type as subject.
        var pending = paths.filter { subjectsOfFile[$0] != nil }
        while let path = pending.popLast() {
            for used in uses[path] ?? [] where subjectsOfFile[used.file] == nil {
                guard let root = set.roots[used.file], let name = schema[root].name?.fullName else {
                    diagnostics.append(
                        Diagnostic(
                            file: used.file,
                            message:
                                "\(path) uses its types but it has no subject and no named top-level type; map it in \"subjects\" of \(CanonCodegen.configFileName)"
                        ))
                    continue
                }
                subjectsOfFile[used.file] = [(name, "used by \(path)")]
                pending.append(used.file)
            }
        }

        // Files in dependency order: a file after every file it uses (files cannot use each other in a cycle).
        var ordered: [String] = []
        var placed: Set<String> = []
        func place(_ path: String) {
            guard placed.insert(path).inserted else { return }
            for used in uses[path] ?? [] { place(used.file) }
            ordered.append(path)
        }
        for path in paths where subjectsOfFile[path] != nil { place(path) }

        var entries = primitiveEntries
        for path in ordered {
            guard let subjects = subjectsOfFile[path], let root = set.roots[path], let file = files.first(where: { $0.path == path }) else {
                continue
            }
            let references = (uses[path] ?? []).map {
                Reference(name: $0.name, subject: subjectsOfFile[$0.file]?.first?.subject ?? $0.name, file: $0.file)
            }
            .sorted { ordered.firstIndex(of: $0.file) ?? 0 < ordered.firstIndex(of: $1.file) ?? 0 }
            for (subject, origin) in subjects {
                entries.append(
                    Entry(
                        subject: subject, file: path, schema: file.contents, selfContained: schema.rooted(at: root).fullRendering,
                        references: references, origin: origin))
            }
        }
        for (path, subjects) in jsonSubjects.sorted(by: { $0.key < $1.key }) {
            let text = jsonModel.registrationText(path)
            for (subject, origin) in subjects {
                entries.append(
                    Entry(
                        subject: subject, file: path, schema: text, selfContained: text, references: [], origin: origin, schemaType: .json))
            }
        }
        var fileOfSubject: [String: String] = [:]
        for entry in entries {
            let what = entry.file ?? entry.origin
            if let other = fileOfSubject[entry.subject], other != what {
                diagnostics.append(
                    Diagnostic(file: configPath, message: "subject '\(entry.subject)' is mapped to both \(other) and \(what)"))
            }
            fileOfSubject[entry.subject] = what
        }
        guard diagnostics.isEmpty else { throw CodegenError(diagnostics: diagnostics) }
        self.entries = entries
        self.unmapped = files.map(\.path).filter { subjectsOfFile[$0] == nil && jsonSubjects[$0] == nil }
    }

    static func children(of node: AvroSchema.Node) -> [Int] {
        switch node {
        case .record(let r): return r.fields.map(\.type)
        case .array(let items, _): return [items]
        case .map(let values, _): return [values]
        case .union(let branches): return branches
        case .primitive, .enumeration, .fixed: return []
        }
    }
}
