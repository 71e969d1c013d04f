import CanonAvro
import ArgumentParser
import CanonCore
import CanonRegistry
import CanonRegistryClient
import Foundation

/// `canon topic …`: topics of a running server (REST Proxy v3 routes).
struct TopicCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topic",
        abstract: "Create, list, describe, delete and configure topics of a running server (--url, or CANON_URL).",
        subcommands: [Create.self, List.self, Describe.self, Delete.self, Config.self]
    )

    static let base = "/v3/clusters/canon/topics"

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a topic.",
            discussion: "Example: canon topic create orders --partitions 4 --config value.schema.validation=full")
        @OptionGroup var connection: RegistryCommand.Connection
        @Argument var topic: String
        @Option(help: "Number of partitions.") var partitions = 1
        @Option(name: .customLong("config"), help: ArgumentHelp("A setting, name=value (repeatable).", valueName: "name=value"))
        var settings: [String] = []
        func run() async throws {
            var configs: [JSONValue] = []
            for setting in settings {
                guard let eq = setting.firstIndex(of: "=") else { throw ValidationError("--config takes name=value, not '\(setting)'") }
                configs.append(
                    .object(["name": .string(String(setting[..<eq])), "value": .string(String(setting[setting.index(after: eq)...]))]))
            }
            let body: JSONValue = .object([
                "topic_name": .string(topic), "partitions_count": .int(Int64(partitions)), "configs": .array(configs),
            ])
            try await RegistryCommand.run(connection) { (c) throws(RegistryClientError) in
                try await c.send("POST", TopicCommand.base, body: body)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List topics.")
        @OptionGroup var connection: RegistryCommand.Connection
        func run() async throws {
            try await RegistryCommand.run(connection) { (c) throws(RegistryClientError) in
                guard case .array(let topics)? = try await c.send("GET", TopicCommand.base)["data"] else { return .array([]) }
                return .array(topics.compactMap { $0["topic_name"] })
            }
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a topic and its settings.")
        @OptionGroup var connection: RegistryCommand.Connection
        @Argument var topic: String
        func run() async throws {
            let p = "\(TopicCommand.base)/\(RegistryCommand.path(topic))"
            try await RegistryCommand.run(connection) { (c) throws(RegistryClientError) in
                var topic = try await c.send("GET", p)
                let configs = try await c.send("GET", p + "/configs")["data"]
                if case .object(var object) = topic, case .array(let items)? = configs {
                    object["configs"] = .object(
                        JSONObject(items.compactMap { item in item["name"]?.stringValue.map { ($0, item["value"] ?? .null) } }))
                    topic = .object(object)
                }
                return topic
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a topic and its records.")
        @OptionGroup var connection: RegistryCommand.Connection
        @Argument var topic: String
        func run() async throws {
            let p = "\(TopicCommand.base)/\(RegistryCommand.path(topic))"
            try await RegistryCommand.run(connection) { (c) throws(RegistryClientError) in
                do throws(RegistryClientError) {
                    _ = try await c.send("DELETE", p)
                } catch  where error.status == 204 {
                    // 204 has no body: done.
                }
                return .array([.string("deleted \(p.split(separator: "/").last ?? "")")])
            }
        }
    }

    struct Config: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a topic's setting, or --set it.")
        @OptionGroup var connection: RegistryCommand.Connection
        @Argument var topic: String
        @Argument var name: String
        @Option(help: "The new value.") var set: String?
        func run() async throws {
            let p = "\(TopicCommand.base)/\(RegistryCommand.path(topic))/configs/\(RegistryCommand.path(name))"
            let value = set
            try await RegistryCommand.run(connection) { (c) throws(RegistryClientError) in
                if let value {
                    do throws(RegistryClientError) {
                        _ = try await c.send("PUT", p, body: .object(["value": .string(value)]))
                    } catch  where error.status == 204 {
                        // 204 has no body: changed.
                    }
                }
                return try await c.send("GET", p)
            }
        }
    }
}

/// `canon produce TOPIC`: records from standard input to a running server.
struct ProduceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "produce",
        abstract:
            "Produce records from standard input: JSON lines {\"key\":…, \"value\":…} encoded with the subject's latest schema, or --binary hex lines.",
        discussion: """
            Each line is one record. By default the value is the JSON form of a value of the latest schema of \
            <topic>-value (Avro JSON for an Avro subject, the document itself for a JSON Schema one), encoded by the \
            server in the subject's format. A key is encoded the same way with <topic>-key when that subject exists; without it, a string \
            key goes as its UTF-8 bytes and any other key as its JSON text (what a topic that does not validate keys \
            stores). With --binary, a line is key<TAB>value in hex (the client's own wire-format bytes; '-' for null). \
            Prints 'partition offset' per record, or the refusal (exit 1).
            """)
    @OptionGroup var connection: RegistryCommand.Connection
    @Argument var topic: String
    @Flag(help: "Lines are key<TAB>value in hex wire format.") var binary = false

    func run() async throws {
        let path = "\(TopicCommand.base)/\(RegistryCommand.path(topic))/records"
        let client = try connection.client
        var keyType: String??  // the REST type of <topic>-key's format (nil: no such subject), asked once at the first key
        var valueType: String?  // the REST type of <topic>-value's format, asked once at the first value
        var entries: [JSONValue] = []
        while let line = Swift.readLine(strippingNewline: true) {
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            if binary {
                let parts = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
                func part(_ s: Substring?) throws -> JSONValue {
                    guard let s, s != "-", !s.isEmpty else { return .null }
                    guard s.count % 2 == 0, let bytes = TextHex.decode(s) else {
                        throw CLIFailure.unreadable("'\(s.prefix(20))' is not hex")
                    }
                    return .object(["type": .string("BINARY"), "data": .string(Data(bytes).base64EncodedString())])
                }
                entries.append(
                    .object(["key": try part(parts.count > 1 ? parts[0] : nil), "value": try part(parts.count > 1 ? parts[1] : parts[0])]))
                continue
            }
            let json: JSONValue
            do { json = try JSONReader.parse(line) } catch { throw CLIFailure.unreadable("not a JSON line: \(error)") }
            var entry: JSONObject = [:]
            if let value = json["value"], value != .null {
                if valueType == nil { valueType = try await Self.restType("\(topic)-value", client) ?? "AVRO" }
                entry["value"] = .object(["type": .string(valueType!), "subject": .string("\(topic)-value"), "data": value])
            }
            if let key = json["key"], key != .null {
                if keyType == nil { keyType = .some(try await Self.restType("\(topic)-key", client)) }
                if let type = keyType ?? nil {
                    entry["key"] = .object(["type": .string(type), "subject": .string("\(topic)-key"), "data": key])
                } else if case .string(let text) = key {
                    entry["key"] = .object(["type": .string("STRING"), "data": .string(text)])
                } else {
                    entry["key"] = .object(["type": .string("JSON"), "data": key])
                }
            }
            entries.append(.object(entry))
        }
        let body = entries
        try await RegistryCommand.run(connection) { (c) throws(RegistryClientError) in
            // Each stored record's place is printed at once, so a refusal later on still leaves the
            // offsets of the lines stored before it on the output.
            for entry in body {
                let answer = try await c.send("POST", path, body: entry)
                Output.line("\(answer["partition_id"]?.int64Value ?? -1) \(answer["offset"]?.int64Value ?? -1)")
            }
            return .array([])
        }
    }

    /// The REST Proxy type of the format of a subject's latest version (`AVRO`, `JSONSCHEMA`); nil when
    /// the subject does not exist.
    static func restType(_ subject: String, _ client: RegistryClient) async throws -> String? {
        do {
            let latest = try await client.send("GET", "/subjects/\(RegistryClient.path(subject))/versions/latest")
            let type = SchemaType(confluentName: latest["schemaType"]?.stringValue)
            guard let format = SchemaFormats.builtIn[type] else {
                throw CLIFailure.failed("\(subject) is \(type), which Canon does not serve")
            }
            return format.restProxyName
        } catch let error as RegistryClientError where error.code == 40401 {
            return nil
        } catch let error as CLIFailure {
            throw error
        } catch {
            throw CLIFailure.failed("\(error)")
        }
    }
}

/// `canon consume TOPIC`: records of a topic from a running server.
struct ConsumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume",
        abstract:
            "Print records of a topic as JSON lines, every partition merged by timestamp (avro-json decodes framed values with their writer schema).",
        discussion: """
            Reads every partition from --from (or only --partition), merges them by timestamp and stops at the end of the \
            topic; with --follow it then waits for new records and prints them as they arrive, until interrupted (as \
            kcat -C without -e).
            """)
    @OptionGroup var connection: RegistryCommand.Connection
    @Argument var topic: String
    @Option(help: "Only this partition (default: every partition).") var partition: Int?
    @Option(help: "The first offset, in each partition read.") var from: Int64 = 0
    @Option(help: "At most this many records (default: 100; unlimited with --follow).") var max: Int?
    @Option(help: "avro-json or raw.") var format = "avro-json"
    @Flag(help: "Keep waiting for new records after the end of the topic.") var follow = false
    @Option(help: "With --follow: milliseconds between polls.") var pollMs = 500

    func validate() throws {
        guard format == "avro-json" || format == "raw" else { throw ValidationError("--format is avro-json or raw") }
        guard from >= 0 else { throw ValidationError("--from is an offset, 0 or more") }
        if let max, max < 1 { throw ValidationError("--max must be at least 1") }
        guard pollMs >= 10 else { throw ValidationError("--poll-ms must be at least 10") }
    }

    func run() async throws {
        let client = try connection.client
        let base = "\(TopicCommand.base)/\(RegistryCommand.path(topic))"
        do {
            let partitions: [Int]
            if let partition {
                partitions = [partition]
            } else {
                let count = try await client.send("GET", base)["partitions_count"]?.int64Value ?? 1
                partitions = Array(0..<Int(count))
            }
            var next = Dictionary(uniqueKeysWithValues: partitions.map { ($0, from) })
            var left = max ?? (follow ? Int.max : 100)
            while left > 0 {
                // One round: each partition read to its end (or to `left` records), then all merged by
                // timestamp, so a partition's page cut short cannot put its records after later ones.
                var round: [JSONValue] = []
                for p in partitions {
                    var taken = 0
                    while taken < left {
                        let page = Swift.min(left - taken, 10_000)
                        let answer = try await client.send(
                            "GET", "\(base)/partitions/\(p)/records?offset=\(next[p]!)&max_records=\(page)&format=\(format)")
                        guard case .array(let records)? = answer["data"], !records.isEmpty else { break }
                        round += records
                        taken += records.count
                        if let n = answer["next_offset"]?.int64Value { next[p] = n }
                    }
                }
                round.sort { a, b in
                    let (ta, tb) = (a["timestamp"]?.stringValue ?? "", b["timestamp"]?.stringValue ?? "")
                    if ta != tb { return ta < tb }
                    let (pa, pb) = (a["partition_id"]?.int64Value ?? 0, b["partition_id"]?.int64Value ?? 0)
                    return pa != pb ? pa < pb : (a["offset"]?.int64Value ?? 0) < (b["offset"]?.int64Value ?? 0)
                }
                for record in round.prefix(left) { Output.line(record.jsonText) }
                left -= Swift.min(left, round.count)
                if round.isEmpty {
                    guard follow else { break }
                    try await Task.sleep(for: .milliseconds(pollMs))
                }
            }
        } catch let error as RegistryClientError {
            throw CLIFailure.failed("\(error)")
        }
    }
}
