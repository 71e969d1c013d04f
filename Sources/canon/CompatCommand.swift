import ArgumentParser
import CanonAvro
import CanonCore
import CanonJSONSchema
import CanonXSD

struct CompatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compat",
        abstract: "Check schema evolution: can a reader read a writer's data, and does a new version pass a level?",
        subcommands: [Check.self]
    )
}

extension CompatCommand {
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a reader against a writer, or a new schema against earlier versions at a level.",
            discussion: """
                Pair: canon compat check --reader new.avsc --writer old.avsc
                Level: canon compat check --level BACKWARD_TRANSITIVE --new v3.avsc --previous v1.avsc v2.avsc
                (previous versions oldest first; non-transitive levels use the last one only).
                JSON Schema files (.json, or --type json) are checked with Confluent's JSON Schema rules.
                Exit 0 compatible; 1 incompatible, one line per incompatibility with its location; 2 when an input is \
                not a valid schema or cannot be read. --json prints {"is_compatible": …, "messages": […]} as the \
                registry's verbose answer does.
                """
        )

        @Option(help: "The reader schema (pair check).") var reader: String?
        @Option(help: "The writer schema (pair check).") var writer: String?
        @Option(help: "NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL or FULL_TRANSITIVE.") var level: String?
        @Option(help: "The new schema (level check).") var new: String?
        @Option(parsing: .upToNextOption, help: "Earlier versions, oldest first (level check).") var previous: [String] = []
        @Flag(help: "Print {\"is_compatible\": bool, \"messages\": [...]}.") var json = false
        @Option(help: "The files' format, when their extension does not say (avro, json, xsd).") var type: SchemaFileType?
        @Option(help: "JSON Schema's compatibility policy: STRICT (the default) or LENIENT, as a subject's config sets it.")
        var policy: String?
        @OptionGroup var options: SchemaOptions

        func validate() throws {
            let pair = reader != nil || writer != nil
            let levelCheck = level != nil || new != nil || !previous.isEmpty
            guard pair != levelCheck else {
                throw ValidationError("give either --reader and --writer, or --level, --new and --previous")
            }
            if pair && (reader == nil || writer == nil) { throw ValidationError("a pair check needs both --reader and --writer") }
            if let policy, CompatibilityPolicy(name: policy) == nil {
                throw ValidationError("--policy must be LOGICAL, STRICT or LENIENT (JSON Schema reads LENIENT; the others are STRICT)")
            }
            if levelCheck {
                guard let level, CompatibilityLevel(name: level) != nil else {
                    throw ValidationError("--level must be one of \(CompatibilityLevel.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                if new == nil || previous.isEmpty { throw ValidationError("a level check needs --new and at least one --previous") }
            }
        }

        /// Loads a schema; an invalid one exits 2 (no verdict can be given).
        private func load(_ path: String) throws(CLIFailure) -> AvroSchema {
            do {
                return try options.load(path)
            } catch {
                throw CLIFailure.unreadable(error.message)
            }
        }

        /// Runs a check; a pair that cannot be compared (too deep) exits 2.
        private func comparing<R>(_ body: () throws -> R) throws(CLIFailure) -> R {
            do {
                return try body()
            } catch {
                throw CLIFailure.unreadable("\(error)")
            }
        }

        private var compatibilityPolicy: CompatibilityPolicy? { policy.flatMap(CompatibilityPolicy.init(name:)) }

        /// JSON Schema or XML Schema files, through the format seam (as the registry checks): Confluent's
        /// JSON Schema rules, or XML Schema's (every document the writer accepts, the reader does).
        private func runFormat(_ format: any SchemaFormat) throws {
            func load(_ path: String) throws -> any ParsedSchema {
                do {
                    if format.type == .xsd { return try XSDFiles.load(path) }
                    return try format.makeParser().parse(try readText(path))
                } catch let error as CLIFailure {
                    throw CLIFailure.unreadable(error.message)
                } catch {
                    throw CLIFailure.unreadable("\(path): \(error)")
                }
            }
            let result: CompatibilityResult
            if let reader, let writer {
                let messages = try comparing {
                    try format.incompatibilities(
                        reader: try load(reader), writer: try load(writer), readerRole: .new,
                        budget: SchemaCompatibilityChecker.defaultBudget, policy: compatibilityPolicy)
                }
                result = CompatibilityResult(isCompatible: messages.isEmpty, messages: messages.map(\.text))
            } else {
                let newSchema = try load(new!)
                let previousSchemas = try previous.map { try load($0) }
                result = try comparing {
                    try CompatibilityLevel(name: level!)!.check(
                        newSchema, against: previousSchemas,
                        using: SchemaCompatibilityChecker(formats: SchemaFormats([format]), policy: compatibilityPolicy))
                }
            }
            if json {
                Output.line(
                    JSONValue.object([
                        "is_compatible": .bool(result.isCompatible), "messages": .array(result.messages.map(JSONValue.string)),
                    ])
                    .jsonText)
            } else if result.isCompatible {
                Output.line("compatible")
            } else {
                for message in result.messages { Output.line(message) }
            }
            if !result.isCompatible { throw CLIFailure.failed("") }
        }

        func run() throws {
            let files = [reader, writer, new].compactMap { $0 } + previous
            if files.allSatisfy({ SchemaFileType(type, path: $0) == .json }) { return try runFormat(JSONSchemaFormat()) }
            if files.allSatisfy({ SchemaFileType(type, path: $0) == .xsd }) { return try runFormat(XSDFormat()) }
            if let reader, let writer {
                let r = try load(reader), w = try load(writer)
                let found = try comparing { try r.incompatibilities(readingDataWrittenWith: w) }
                if json {
                    let messages = try comparing {
                        try AvroCompatibilityChecker().incompatibilities(reader: r, writer: w, readerRole: .new).map(\.text)
                    }
                    Output.line(
                        JSONValue.object(["is_compatible": .bool(found.isEmpty), "messages": .array(messages.map(JSONValue.string))])
                            .jsonText)
                } else if found.isEmpty {
                    Output.line("compatible")
                } else {
                    for i in found { Output.line("\(i.kind.rawValue) at \(i.location): \(i.message)") }
                }
                if !found.isEmpty { throw CLIFailure.failed("") }
                return
            }
            let level = CompatibilityLevel(name: level!)!
            let newSchema = try load(new!)
            let previousSchemas = try previous.map { (path) throws(CLIFailure) in try load(path) }
            let result = try comparing { try level.check(newSchema, against: previousSchemas, using: AvroCompatibilityChecker()) }
            if json {
                Output.line(
                    JSONValue.object([
                        "is_compatible": .bool(result.isCompatible), "messages": .array(result.messages.map(JSONValue.string)),
                    ]).jsonText)
            } else if result.isCompatible {
                Output.line("compatible")
            } else {
                for message in result.messages { Output.line(message) }
            }
            if !result.isCompatible { throw CLIFailure.failed("") }
        }
    }
}
