import ArgumentParser
import CanonCodegen
import CanonCore
import CanonRegistryClient
import CanonSchemaSync
import Foundation

/// `canon registry …`: the registry's REST API from the command line (Canon's or Confluent's).
struct RegistryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry",
        abstract: "Talk to a running registry over HTTP (--url, or CANON_URL, default http://127.0.0.1:8081).",
        subcommands: [
            Subjects.self, Versions.self, Register.self, Get.self, GetID.self, Compat.self, Config.self, Mode.self, Delete.self,
            CheckCommand.self, PullCommand.self,
        ]
    )

    struct Connection: ParsableArguments {
        @Option(help: "The registry's base URL (default: CANON_URL or http://127.0.0.1:8081).") var url: String?

        var client: RegistryClient {
            get throws {
                let text = url ?? ProcessInfo.processInfo.environment["CANON_URL"] ?? "http://127.0.0.1:8081"
                guard let parsed = URL(string: text), parsed.scheme != nil else { throw ValidationError("--url '\(text)' is not a URL") }
                return RegistryClient(url: parsed, credentials: .fromEnvironment())
            }
        }
    }

    /// Runs a request and prints the answer (lists one item a line, objects as JSON); registry errors
    /// exit 1 with their code and message.
    static func run(_ connection: Connection, _ body: @Sendable (RegistryClient) async throws(RegistryClientError) -> JSONValue)
        async throws
    {
        let client = try connection.client
        let answer: JSONValue
        do { answer = try await body(client) } catch { throw CLIFailure.failed("\(error)") }
        switch answer {
        case .array(let items):
            for item in items { Output.line(item.stringValue ?? item.jsonText) }
        default:
            Output.line(answer.jsonText)
        }
    }

    static func path(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? segment
    }

    static func schemaBody(_ file: String, references: [String] = [], type: SchemaFileType? = nil) throws -> JSONValue {
        let text = try readText(file)
        var refs: [SchemaReference] = []
        for r in references {
            // name=subject:version
            guard let eq = r.firstIndex(of: "="), let colon = r.lastIndex(of: ":"), eq < colon,
                let version = Int(r[r.index(after: colon)...])
            else {
                throw ValidationError("--reference takes name=subject:version, not '\(r)'")
            }
            refs.append(SchemaReference(name: String(r[..<eq]), subject: String(r[r.index(after: eq)..<colon]), version: version))
        }
        // The format by the file's extension: .json is JSON Schema, anything else Avro.
        let schemaType: SchemaType = SchemaFileType(type, path: file) == .json ? .json : .avro
        return RegistryClient.schemaBody(text, schemaType: schemaType, references: refs)
    }

    struct Subjects: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List subjects.")
        @OptionGroup var connection: Connection
        @Flag(help: "Include soft-deleted subjects.") var deleted = false
        func run() async throws {
            let query = deleted ? "?deleted=true" : ""
            try await RegistryCommand.run(connection) { (c) throws(RegistryClientError) in try await c.send("GET", "/subjects\(query)") }
        }
    }

    struct Versions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a subject's versions.")
        @OptionGroup var connection: Connection
        @Argument var subject: String
        func run() async throws {
            let p = "/subjects/\(RegistryCommand.path(subject))/versions"
            try await RegistryCommand.run(connection) { (c) throws(RegistryClientError) in try await c.send("GET", p) }
        }
    }

    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Register a schema file under a subject; or, without them, every changed schema canon-codegen.json maps (a dry run without --apply).",
            discussion: """
                canon registry register orders-value Order.avsc --reference com.acme.Address=address-value:1 registers one \
                file now and prints its id and version. canon registry register [--config canon-codegen.json] [--apply] \
                checks every schema the config maps and registers the new and changed ones, referenced subjects first; \
                without --apply it only prints what it would register (see canon registry check).
                """)
        @OptionGroup var connection: Connection
        @Argument(help: "The subject (omit it to register what the config maps).") var subject: String?
        @Argument(help: "The schema file (- for standard input).") var file: String?
        @Option(
            name: .customLong("reference"),
            help: ArgumentHelp("A reference, name=subject:version (repeatable).", valueName: "name=subject:version"))
        var references: [String] = []
        @Flag(help: "Ask the registry to normalize the schema.") var normalize = false
        @Option(help: "The file's format, when its extension does not say (avro, json).") var type: SchemaFileType?
        @Option(help: "Without a subject: the mapping (default canon-codegen.json).") var config: String?
        @Flag(help: "Without a subject: register; otherwise only print what would be registered.") var apply = false
        @Argument(
            parsing: .postTerminator,
            help: "Without a subject: the schema files (default: every .avsc and .schema.json below the config's folder).")
        var files: [String] = []

        func validate() throws {
            if subject != nil {
                guard file != nil else { throw ValidationError("give the schema file after the subject") }
                if config != nil || apply || !files.isEmpty {
                    throw ValidationError("--config, --apply and -- files go without a subject and file")
                }
            } else if !references.isEmpty || normalize {
                throw ValidationError("--reference and --normalize go with a subject and file")
            }
        }

        func run() async throws {
            guard let subject, let file else {
                try await RegisterCommand.register(
                    SchemaSyncInputs(config: config ?? CanonCodegen.configFileName, url: connection.url, files: files), apply: apply)
                return
            }
            let body = try RegistryCommand.schemaBody(file, references: references, type: type)
            let p = "/subjects/\(RegistryCommand.path(subject))/versions\(normalize ? "?normalize=true" : "")"
            try await RegistryCommand.run(connection) { (c) throws(RegistryClientError) in
                let answer = try await c.send("POST", p, body: body)
                return .object(["id": answer["id"] ?? .null, "version": answer["version"] ?? .null])
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a subject's version (latest by default).")
        @OptionGroup var connection: Connection
        @Argument var subject: String
        @Argument var version = "latest"
        func run() async throws {
            let p = "/subjects/\(RegistryCommand.path(subject))/versions/\(RegistryCommand.path(version))"
            try await RegistryCommand.run(connection) { (c) throws(RegistryClientError) in try await c.send("GET", p) }
        }
    }

    struct GetID: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get-id", abstract: "Print the schema an ID denotes.")
        @OptionGroup var connection: Connection
        @Argument var id: Int32
        func run() async throws {
            let id = id
            try await RegistryCommand.run(connection) { (c) throws(RegistryClientError) in try await c.send("GET", "/schemas/ids/\(id)") }
        }
    }

    struct Compat: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a schema file against a subject at its level; exit 1 when incompatible.")
        @OptionGroup var connection: Connection
        @Argument var subject: String
        @Argument var file: String
        @Option(help: "The file's format, when its extension does not say (avro, json).") var type: SchemaFileType?
        func run() async throws {
            let body = try RegistryCommand.schemaBody(file, type: type)
            let p = "/compatibility/subjects/\(RegistryCommand.path(subject))/versions?verbose=true"
            let answer: JSONValue
            do { answer = try await connection.client.send("POST", p, body: body) } catch let error as RegistryClientError {
                throw CLIFailure.failed("\(error)")
            }
            Output.line(answer.jsonText)
            if answer["is_compatible"] != .bool(true) { throw CLIFailure.failed("") }
        }
    }

    struct Config: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print (or --set) the global or a subject's compatibility level.")
        @OptionGroup var connection: Connection
        @Argument var subject: String?
        @Option(help: "NONE, BACKWARD, FORWARD, FULL or their _TRANSITIVE forms.") var set: String?
        func run() async throws {
            let p = "/config" + (subject.map { "/\(RegistryCommand.path($0))" } ?? "")
            let level = set
            try await RegistryCommand.run(connection) { (c) throws(RegistryClientError) in
                if let level { return try await c.send("PUT", p, body: .object(["compatibility": .string(level)])) }
                return try await c.send("GET", p + (p == "/config" ? "" : "?defaultToGlobal=true"))
            }
        }
    }

    struct Mode: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print (or --set) the global or a subject's mode.")
        @OptionGroup var connection: Connection
        @Argument var subject: String?
        @Option(help: "READWRITE, READONLY or IMPORT.") var set: String?
        func run() async throws {
            let p = "/mode" + (subject.map { "/\(RegistryCommand.path($0))" } ?? "")
            let mode = set
            try await RegistryCommand.run(connection) { (c) throws(RegistryClientError) in
                if let mode { return try await c.send("PUT", p, body: .object(["mode": .string(mode)])) }
                return try await c.send("GET", p + (p == "/mode" ? "" : "?defaultToGlobal=true"))
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a subject or one version (soft; --permanent after a soft delete).")
        @OptionGroup var connection: Connection
        @Argument var subject: String
        @Argument var version: String?
        @Flag(help: "Remove for good (after a soft delete).") var permanent = false
        func run() async throws {
            let p =
                "/subjects/\(RegistryCommand.path(subject))" + (version.map { "/versions/\(RegistryCommand.path($0))" } ?? "")
                + (permanent ? "?permanent=true" : "")
            try await RegistryCommand.run(connection) { (c) throws(RegistryClientError) in try await c.send("DELETE", p) }
        }
    }
}
