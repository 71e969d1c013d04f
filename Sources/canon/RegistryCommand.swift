import ArgumentParser
import CanonCore
import CanonRegistryClient
import Foundation

/// `canon registry …`: the registry's REST API from the command line (Canon's or Confluent's).
struct RegistryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry",
        abstract: "Talk to a running registry over HTTP (--url, or CANON_URL, default http://127.0.0.1:8081).",
        subcommands: [Subjects.self, Versions.self, Register.self, Get.self, GetID.self, Compat.self, Config.self, Mode.self, Delete.self]
    )

    struct Connection: ParsableArguments {
        @Option(help: "The registry's base URL (default: CANON_URL or http://127.0.0.1:8081).") var url: String?

        var client: RegistryClient {
            get throws {
                let text = url ?? ProcessInfo.processInfo.environment["CANON_URL"] ?? "http://127.0.0.1:8081"
                guard let parsed = URL(string: text), parsed.scheme != nil else { throw ValidationError("--url '\(text)' is not a URL") }
                return RegistryClient(url: parsed)
            }
        }
    }

    /// Runs a request and prints the answer (lists one item a line, objects as JSON); registry errors
    /// exit 1 with their code and message.
    static func run(_ connection: Connection, _ body: @escaping @Sendable (RegistryClient) async throws(RegistryClientError) -> JSONValue) throws {
        let client = try connection.client
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox()
        Task {
            do throws(RegistryClientError) { box.result = .success(try await body(client)) } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        switch box.result! {
        case .success(.array(let items)):
            for item in items { Output.line(item.stringValue ?? item.jsonText) }
        case .success(let value):
            Output.line(value.jsonText)
        case .failure(let error):
            throw CLIFailure.failed("\(error)")
        }
    }

    static func path(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? segment
    }

    static func schemaBody(_ file: String, references: [String] = []) throws -> JSONValue {
        let text = try readText(file)
        var refs: [JSONValue] = []
        for r in references {
            // name=subject:version
            guard let eq = r.firstIndex(of: "="), let colon = r.lastIndex(of: ":"), eq < colon, let version = Int(r[r.index(after: colon)...]) else {
                throw ValidationError("--reference takes name=subject:version, not '\(r)'")
            }
            refs.append(.object(["name": .string(String(r[..<eq])), "subject": .string(String(r[r.index(after: eq)..<colon])), "version": .int(Int64(version))]))
        }
        var object: JSONObject = ["schema": .string(text), "schemaType": .string("AVRO")]
        if !refs.isEmpty { object["references"] = .array(refs) }
        return .object(object)
    }

    struct Subjects: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List subjects.")
        @OptionGroup var connection: Connection
        @Flag(help: "Include soft-deleted subjects.") var deleted = false
        func run() throws {
            let query = deleted ? "?deleted=true" : ""
            try RegistryCommand.run(connection) { (c) throws(RegistryClientError) in try await c.send("GET", "/subjects\(query)") }
        }
    }

    struct Versions: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a subject's versions.")
        @OptionGroup var connection: Connection
        @Argument var subject: String
        func run() throws {
            let p = "/subjects/\(RegistryCommand.path(subject))/versions"
            try RegistryCommand.run(connection) { (c) throws(RegistryClientError) in try await c.send("GET", p) }
        }
    }

    struct Register: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register a schema file under a subject; print its id and version.",
                                                        discussion: "Example: canon registry register orders-value Order.avsc --reference com.acme.Address=address-value:1")
        @OptionGroup var connection: Connection
        @Argument var subject: String
        @Argument(help: "The schema file (- for standard input).") var file: String
        @Option(name: .customLong("reference"), help: ArgumentHelp("A reference, name=subject:version (repeatable).", valueName: "name=subject:version"))
        var references: [String] = []
        @Flag(help: "Ask the registry to normalize the schema.") var normalize = false
        func run() throws {
            let body = try RegistryCommand.schemaBody(file, references: references)
            let p = "/subjects/\(RegistryCommand.path(subject))/versions\(normalize ? "?normalize=true" : "")"
            try RegistryCommand.run(connection) { (c) throws(RegistryClientError) in
                let answer = try await c.send("POST", p, body: body)
                return .object(["id": answer["id"] ?? .null, "version": answer["version"] ?? .null])
            }
        }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a subject's version (latest by default).")
        @OptionGroup var connection: Connection
        @Argument var subject: String
        @Argument var version = "latest"
        func run() throws {
            let p = "/subjects/\(RegistryCommand.path(subject))/versions/\(RegistryCommand.path(version))"
            try RegistryCommand.run(connection) { (c) throws(RegistryClientError) in try await c.send("GET", p) }
        }
    }

    struct GetID: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get-id", abstract: "Print the schema an ID denotes.")
        @OptionGroup var connection: Connection
        @Argument var id: Int32
        func run() throws {
            let id = id
            try RegistryCommand.run(connection) { (c) throws(RegistryClientError) in try await c.send("GET", "/schemas/ids/\(id)") }
        }
    }

    struct Compat: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check a schema file against a subject at its level; exit 1 when incompatible.")
        @OptionGroup var connection: Connection
        @Argument var subject: String
        @Argument var file: String
        func run() throws {
            let body = try RegistryCommand.schemaBody(file)
            let p = "/compatibility/subjects/\(RegistryCommand.path(subject))/versions?verbose=true"
            let verdict = CompatVerdict()
            try RegistryCommand.run(connection) { (c) throws(RegistryClientError) in
                let answer = try await c.send("POST", p, body: body)
                verdict.compatible = answer["is_compatible"] == .bool(true)
                return answer
            }
            if !verdict.compatible { throw CLIFailure.failed("") }
        }
    }

    struct Config: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print (or --set) the global or a subject's compatibility level.")
        @OptionGroup var connection: Connection
        @Argument var subject: String?
        @Option(help: "NONE, BACKWARD, FORWARD, FULL or their _TRANSITIVE forms.") var set: String?
        func run() throws {
            let p = "/config" + (subject.map { "/\(RegistryCommand.path($0))" } ?? "")
            let level = set
            try RegistryCommand.run(connection) { (c) throws(RegistryClientError) in
                if let level { return try await c.send("PUT", p, body: .object(["compatibility": .string(level)])) }
                return try await c.send("GET", p + (p == "/config" ? "" : "?defaultToGlobal=true"))
            }
        }
    }

    struct Mode: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print (or --set) the global or a subject's mode.")
        @OptionGroup var connection: Connection
        @Argument var subject: String?
        @Option(help: "READWRITE, READONLY or IMPORT.") var set: String?
        func run() throws {
            let p = "/mode" + (subject.map { "/\(RegistryCommand.path($0))" } ?? "")
            let mode = set
            try RegistryCommand.run(connection) { (c) throws(RegistryClientError) in
                if let mode { return try await c.send("PUT", p, body: .object(["mode": .string(mode)])) }
                return try await c.send("GET", p + (p == "/mode" ? "" : "?defaultToGlobal=true"))
            }
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a subject or one version (soft; --permanent after a soft delete).")
        @OptionGroup var connection: Connection
        @Argument var subject: String
        @Argument var version: String?
        @Flag(help: "Remove for good (after a soft delete).") var permanent = false
        func run() throws {
            let p = "/subjects/\(RegistryCommand.path(subject))" + (version.map { "/versions/\(RegistryCommand.path($0))" } ?? "") + (permanent ? "?permanent=true" : "")
            try RegistryCommand.run(connection) { (c) throws(RegistryClientError) in try await c.send("DELETE", p) }
        }
    }
}

// @unchecked Sendable: written by the request task before it signals, read after the wait.
private final class ResultBox: @unchecked Sendable {
    var result: Result<JSONValue, RegistryClientError>?
}

// @unchecked Sendable: written by the request task before it signals, read after the wait.
private final class CompatVerdict: @unchecked Sendable {
    var compatible = false
}
