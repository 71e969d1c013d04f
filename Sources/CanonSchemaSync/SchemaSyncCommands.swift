import ArgumentParser
import CanonCodegen
import CanonCore
import CanonRegistryClient
import Foundation

/// The options every schema-workflow command takes: where the mapping is and which registry to ask.
public struct SchemaSyncOptions: ParsableArguments {
    @Option(help: "The mapping: canon-codegen.json beside the schemas.")
    public var config = CanonCodegen.configFileName

    @Option(help: "The registry's base URL (default: CANON_URL, else the config's \"registry\", else http://127.0.0.1:8081).")
    public var url: String?

    @Argument(help: "Schema files (default: every .avsc and .schema.json file below the config's folder).")
    public var files: [String] = []

    public init() {}

    var inputs: SchemaSyncInputs { SchemaSyncInputs(config: config, url: url, files: files) }
}

/// Where a schema-workflow command reads its mapping and schemas, and which registry it asks.
public struct SchemaSyncInputs: Sendable {
    /// The path of `canon-codegen.json`.
    public var config: String
    /// The registry URL given on the command line, if any.
    public var url: String?
    /// Schema files given on the command line (none: every `.avsc` below the config's folder).
    public var files: [String]

    public init(config: String = CanonCodegen.configFileName, url: String? = nil, files: [String] = []) {
        self.config = config
        self.url = url
        self.files = files
    }

    /// The config's folder: schema paths, in output and in the config's `subjects`, are relative to it.
    var folder: URL { URL(fileURLWithPath: config).deletingLastPathComponent().standardizedFileURL }

    func registryURL(config settings: CodegenConfig?) throws -> URL {
        let text = url ?? ProcessInfo.processInfo.environment["CANON_URL"] ?? settings?.registry ?? "http://127.0.0.1:8081"
        guard let parsed = URL(string: text), parsed.scheme == "http" || parsed.scheme == "https", parsed.host != nil else {
            throw SchemaSyncFailure(exitCode: 2, message: "the registry URL '\(text)' is not an http:// or https:// URL")
        }
        return parsed
    }

    /// The config's text, or `nil` when there is no such file.
    func configText() throws -> String? {
        guard FileManager.default.fileExists(atPath: config) else { return nil }
        do { return try String(contentsOfFile: config, encoding: .utf8) } catch {
            throw SchemaSyncFailure(exitCode: 2, message: "cannot read \(config): \(error.localizedDescription)")
        }
    }

    /// The schema files, with paths relative to the config's folder.
    func schemaFiles() throws -> [SourceFile] {
        let base = folder.path
        var urls: [URL]
        if files.isEmpty {
            urls = []
            let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil, options: [.skipsHiddenFiles])
            while let url = enumerator?.nextObject() as? URL {
                if url.lastPathComponent == ".build" || url.lastPathComponent.hasPrefix(".build-") { enumerator?.skipDescendants() }
                if url.pathExtension == "avsc" || url.lastPathComponent.hasSuffix(".schema.json") { urls.append(url) }
            }
        } else {
            urls = files.map { URL(fileURLWithPath: $0) }
        }
        return try urls.map { url in
            let path = url.standardizedFileURL.path
            let relative = path.hasPrefix(base + "/") ? String(path.dropFirst(base.count + 1)) : path
            do { return SourceFile(path: relative, contents: try String(contentsOf: url, encoding: .utf8)) } catch {
                throw SchemaSyncFailure(exitCode: 2, message: "cannot read \(url.path): \(error.localizedDescription)")
            }
        }.sorted { $0.path < $1.path }
    }

    /// The mapping of the config and files, or a failure listing every problem (exit 1).
    func mapping() throws -> (SchemaMapping, CodegenConfig, [SourceFile]) {
        guard let text = try configText() else {
            throw SchemaSyncFailure(exitCode: 2, message: "no \(config): the schema workflow reads its mapping (topics, subjects) from it")
        }
        let settings: CodegenConfig
        do { settings = try CodegenConfig(parsing: text) } catch {
            throw SchemaSyncFailure(exitCode: 1, message: "\(config): error: \(error.description)")
        }
        let sources = try schemaFiles()
        do {
            return (try SchemaMapping(config: settings, configPath: config, files: sources), settings, sources)
        } catch {
            let base = folder.path
            let lines = error.diagnostics.map { d in
                d.file.hasPrefix("/") || d.file == config
                    ? d.description : Diagnostic(file: "\(base)/\(d.file)", message: d.message).description
            }
            throw SchemaSyncFailure(exitCode: 1, message: lines.joined(separator: "\n"))
        }
    }
}

/// How a schema-workflow command ends: its message and exit code (1 negative verdict, 2 registry
/// unreachable or unreadable input).
public struct SchemaSyncFailure: Error, CustomStringConvertible {
    public var exitCode: Int32
    public var message: String
    public var description: String { message }
}

/// How the check's result is printed.
public enum CheckFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case table, json
}

/// `check`: is every mapped schema registered, or would the registry accept it?
public struct CheckCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Ask the registry whether each mapped schema is registered already or compatible with its subject.",
        discussion: """
            Prints a line a subject: unchanged, new subject, new version (compatible), or incompatible with the \
            registry's messages and the field or path. Exit 0 when everything could be registered, 1 when \
            something is incompatible or refused, 2 when the registry cannot be reached.
            """)

    @OptionGroup public var options: SchemaSyncOptions
    @Option(help: "table (default) or json.") public var format: CheckFormat = .table
    @Flag(help: "Also print GitHub Actions ::error annotations for each problem.") public var github = false
    @Option(help: "With --github: the path from the repository root to the config's folder (default: worked out from git).")
    public var pathPrefix: String?

    public init() {}

    public func run() async throws {
        let inputs = options.inputs
        let (mapping, settings, sources) = try inputs.mapping()
        let url = try inputs.registryURL(config: settings)
        let checks = try await Self.check(mapping, url: url)
        switch format {
        case .table: emit(CheckReport.table(checks, unmapped: mapping.unmapped))
        case .json: emit(CheckReport.json(checks, unmapped: mapping.unmapped, registry: url.absoluteString), newline: false)
        }
        if github {
            let annotations = CheckReport.github(
                checks, files: Dictionary(sources.map { ($0.path, $0.contents) }, uniquingKeysWith: { a, _ in a }),
                prefix: pathPrefix ?? gitPrefix(of: inputs.folder))
            // Beside JSON, annotations go to standard error (GitHub reads both), so standard output stays one document.
            if !annotations.isEmpty {
                if format == .json {
                    try? FileHandle.standardError.write(contentsOf: Data((annotations + "\n").utf8))
                } else {
                    emit(annotations)
                }
            }
        }
        let failed = checks.filter { !$0.status.isAcceptable }.count
        if failed > 0 {
            throw SchemaSyncFailure(exitCode: 1, message: "\(failed) of \(checks.count) subject(s) would be refused by the registry")
        }
    }

    static func check(_ mapping: SchemaMapping, url: URL) async throws -> [SubjectCheck] {
        do {
            return try await SchemaChecker(client: RegistryClient(url: url, autoRegister: false, credentials: .fromEnvironment())).check(
                mapping)
        } catch {
            throw SchemaSyncFailure(exitCode: 2, message: error.description)
        }
    }
}

/// `register`: register what changed, referenced subjects first (a dry run unless `--apply`).
public struct RegisterCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "register",
        abstract: "Register every new or changed mapped schema, referenced subjects first (a dry run without --apply).",
        discussion: """
            Checks first, and registers nothing when any schema would be refused (exit 1). Unchanged schemas are \
            left alone, so a second run registers nothing. Exit 2 when the registry cannot be reached.
            """)

    @OptionGroup public var options: SchemaSyncOptions
    @Flag(help: "Register; without it, print what would be registered and change nothing.") public var apply = false

    public init() {}

    public func run() async throws {
        try await Self.register(options.inputs, apply: apply)
    }

    /// Checks, then registers (with `apply`) or prints what would be registered.
    public static func register(_ inputs: SchemaSyncInputs, apply: Bool) async throws {
        let (mapping, settings, _) = try inputs.mapping()
        let url = try inputs.registryURL(config: settings)
        let checks = try await CheckCommand.check(mapping, url: url)
        let refused = checks.filter { !$0.status.isAcceptable }
        if !refused.isEmpty {
            emit(CheckReport.table(checks, unmapped: mapping.unmapped))
            throw SchemaSyncFailure(exitCode: 1, message: "nothing registered: \(refused.count) subject(s) would be refused (see above)")
        }
        let changes = checks.filter(\.status.isChange)
        guard apply else {
            for check in checks {
                let what = check.entry.file ?? check.entry.origin
                emit(
                    check.status.isChange
                        ? "would register \(check.entry.subject) from \(what): \(CheckReport.summary(check))"
                        : "\(check.entry.subject): \(CheckReport.summary(check))")
            }
            emit("dry run: \(changes.count) schema(s) would be registered; run again with --apply to register them")
            return
        }
        do {
            let registered = try await SchemaRegistrar(
                client: RegistryClient(url: url, autoRegister: true, credentials: .fromEnvironment())
            ).register(checks)
            registered.forEach(report)
            emit("\(registered.count) schema(s) registered, \(checks.count - registered.count) unchanged")
        } catch let error as SchemaRegistrar.Refused {
            error.registered.forEach(report)
            throw SchemaSyncFailure(exitCode: 1, message: error.description)
        } catch let error as SchemaRegistrar.Interrupted {
            error.registered.forEach(report)
            throw SchemaSyncFailure(exitCode: 2, message: error.description)
        }
    }
}

/// Prints one registration.
func report(_ r: SchemaRegistrar.Registered) {
    emit("registered \(r.subject) version \(r.version) (id \(r.id)) from \(r.file ?? "its topic")")
}

/// `pull`: bring subjects from the registry into the repository.
public struct PullCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract:
            "Write the registry's latest schemas of some subjects (with what they reference) into the schema folder, and map them in canon-codegen.json.",
        discussion: """
            Files are named after their record's full name (com.example.Order.avsc); a file already defining that \
            type is overwritten in place. For a <topic>-value subject the topic is added to the config, with \
            <topic>-key as its key when the registry has it.
            """)

    @Option(help: "The mapping to update (created when missing).") public var config = CanonCodegen.configFileName
    @Option(help: "The registry's base URL (default: CANON_URL, else the config's \"registry\", else http://127.0.0.1:8081).") public
        var url: String?
    @Option(help: "Where new schema files go (default: schemas/ beside the config).") public var schemaDir: String?
    @Flag(help: "Every subject of the registry.") public var all = false
    @Option(help: "Every subject whose name starts with this.") public var prefix: String?
    @Argument(help: "Subjects to pull.") public var subjects: [String] = []

    public init() {}

    public func validate() throws {
        if subjects.isEmpty && !all && prefix == nil { throw ValidationError("name subjects to pull, or --all, or --prefix") }
    }

    public func run() async throws {
        let options = SchemaSyncInputs(config: config, url: url)
        let text = try options.configText()
        var settings: CodegenConfig?
        if let text {
            do { settings = try CodegenConfig(parsing: text) } catch {
                throw SchemaSyncFailure(exitCode: 1, message: "\(config): error: \(error.description)")
            }
        }
        let registry = try options.registryURL(config: settings)
        let puller = SchemaPuller(client: RegistryClient(url: registry, autoRegister: false, credentials: .fromEnvironment()))
        let pulled: [SchemaPuller.PulledSchema]
        var skipped: [String] = []
        do {
            let wanted = try await puller.subjects(named: subjects, all: all, prefix: prefix)
            (pulled, skipped) = try await puller.fetch(wanted, skippable: Set(wanted).subtracting(subjects))
        } catch let error as RegistryUnreachable {
            throw SchemaSyncFailure(exitCode: 2, message: error.description)
        } catch let error as RegistryClientError {
            if let unreachable = RegistryUnreachable(error, url: registry) {
                throw SchemaSyncFailure(exitCode: 2, message: unreachable.description)
            }
            throw SchemaSyncFailure(exitCode: 1, message: "\(registry.absoluteString): \(error)")
        } catch {
            throw SchemaSyncFailure(exitCode: 1, message: "\(error)")
        }
        let folder = options.folder
        let schemaFolder: String
        if let schemaDir {
            let path = URL(fileURLWithPath: schemaDir).standardizedFileURL.path
            schemaFolder =
                path.hasPrefix(folder.path + "/") ? String(path.dropFirst(folder.path.count + 1)) : path == folder.path ? "" : path
        } else {
            schemaFolder = "schemas"
        }
        let existing = try options.schemaFiles()
        let plan: PullPlan
        do {
            plan = try PullPlan(pulled: pulled, config: text, existing: existing, schemaFolder: schemaFolder)
        } catch {
            throw SchemaSyncFailure(exitCode: 1, message: "\(config): error: \(error.description)")
        }
        for file in plan.files {
            let url = file.path.hasPrefix("/") ? URL(fileURLWithPath: file.path) : folder.appendingPathComponent(file.path)
            try write(file.contents, to: url)
            emit("wrote \(file.path) (\(file.subject))")
        }
        try write(plan.config, to: URL(fileURLWithPath: config))
        emit("updated \(config)")
        for note in skipped + plan.notes { emit("note: \(note)") }
    }

    func write(_ text: String, to url: URL) throws {
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw SchemaSyncFailure(exitCode: 1, message: "cannot write \(url.path): \(error.localizedDescription)")
        }
    }
}

/// Writes a line to standard output at once (unbuffered, so it comes before an error message the
/// command ends with), with the throwing write: a closed pipe is not a crash.
func emit(_ text: String, newline: Bool = true) {
    try? FileHandle.standardOutput.write(contentsOf: Data((newline ? text + "\n" : text).utf8))
}

/// The path from the git work tree's root to `folder` (empty outside a work tree or at its root).
func gitPrefix(of folder: URL) -> String {
    var dir = folder.standardizedFileURL
    var components: [String] = []
    while dir.path != "/" {
        if FileManager.default.fileExists(atPath: dir.appendingPathComponent(".git").path) {
            return components.reversed().joined(separator: "/")
        }
        components.append(dir.lastPathComponent)
        dir = dir.deletingLastPathComponent()
    }
    return ""
}
