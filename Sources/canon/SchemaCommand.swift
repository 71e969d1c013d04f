import ArgumentParser
import CanonAvro
import CanonCore
import CanonJSONSchema

struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Check, render and fingerprint schema files (Avro; JSON Schema and XML Schema for check and render).",
        subcommands: [Canonical.self, Render.self, Fingerprint.self, Check.self, Diff.self]
    )
}

/// Schema file options shared by the schema and datum commands.
struct SchemaOptions: ParsableArguments {
    @Option(
        name: .customLong("import"),
        help: ArgumentHelp("A schema file defining named types the schema uses (repeatable, read in order).", valueName: "file"))
    var imports: [String] = []

    /// Parses `path` after the imports; an unreadable file exits 2, an invalid schema 1.
    func load(_ path: String) throws(CLIFailure) -> AvroSchema {
        try load(path, parser: AvroSchemaParser())
    }

    /// Parses `path` after the imports into `parser`'s table.
    func load(_ path: String, parser: AvroSchemaParser) throws(CLIFailure) -> AvroSchema {
        var parser = parser
        for file in imports + [path] {
            let text = try readText(file)
            do {
                let schema = try parser.parse(text, file: file)
                if file == path { return schema }
            } catch {
                throw .failed("invalid schema: \(error)")
            }
        }
        preconditionFailure("unreachable")
    }
}

extension SchemaCommand {
    struct Canonical: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a schema's Parsing Canonical Form.",
            discussion: "Example: canon schema canonical Schemas/bench/OrderPlaced.avsc"
        )
        @Argument(help: "The schema file (.avsc).") var file: String
        @OptionGroup var options: SchemaOptions

        func run() throws {
            Output.line(try options.load(file).canonicalForm)
        }
    }

    struct Render: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Print a schema's identity: Avro's full rendering (every attribute, no whitespace, Avro Java's member order), or a JSON schema's compact text.",
            discussion: """
                With --normalize, the text a normalize=true registration stores (a JSON schema's members sorted by name).
                Example: canon schema render Schemas/bench/OrderPlaced.avsc
                """
        )
        @Argument(help: "The schema file (.avsc; .json for JSON Schema; .xsd for XML Schema).") var file: String
        @Option(help: "The file's format, when its extension does not say (avro, json, xsd).") var type: SchemaFileType?
        @Flag(help: "Print the normalize=true form.") var normalize = false
        @OptionGroup var options: SchemaOptions

        func run() throws {
            if SchemaFileType(type, path: file) == .xsd {
                // An XML schema's identity: its canonical XML without formatting or comments.
                let schema = try XSDFiles.load(file)
                return Output.line(normalize ? schema.normalizedText : schema.canonicalText)
            }
            if SchemaFileType(type, path: file) == .json {
                let schema: any ParsedSchema
                do {
                    schema = try JSONSchemaFormat().makeParser().parse(try readText(file))
                } catch let error as CLIFailure {
                    throw error
                } catch {
                    throw CLIFailure.failed("invalid schema: \(error)")
                }
                return Output.line(normalize ? schema.normalizedText : schema.canonicalText)
            }
            Output.line(try options.load(file).fullRendering)
        }
    }

    struct Fingerprint: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a fingerprint of a schema's Parsing Canonical Form.",
            discussion: """
                rabin (CRC-64-AVRO) prints by default as the signed decimal 64-bit value Java and schema-tests.txt use; \
                md5 and sha256 as lowercase hex. --format hex prints rabin as unsigned big-endian hex, hex-le as its \
                8 little-endian bytes (as Python avro and the single-object header write it).
                Example: canon schema fingerprint --algorithm sha256 Schemas/bench/OrderPlaced.avsc
                """
        )
        enum Algorithm: String, ExpressibleByArgument, CaseIterable { case rabin, md5, sha256 }
        enum Format: String, ExpressibleByArgument, CaseIterable { case decimal, hex, hexLE = "hex-le" }

        @Argument(help: "The schema file (.avsc).") var file: String
        @Option(help: "rabin, md5 or sha256.") var algorithm: Algorithm = .rabin
        @Option(help: "decimal (rabin only), hex or hex-le. Default: decimal for rabin, hex otherwise.") var format: Format?
        @OptionGroup var options: SchemaOptions

        func validate() throws {
            if format == .decimal && algorithm != .rabin {
                throw ValidationError("--format decimal applies to --algorithm rabin only")
            }
        }

        func run() throws {
            let schema = try options.load(file)
            switch algorithm {
            case .rabin:
                let fp = schema.rabinFingerprint
                switch format ?? .decimal {
                case .decimal: Output.line(String(Int64(bitPattern: fp)))
                case .hex: Output.line(TextHex.encode((0..<8).reversed().map { UInt8(truncatingIfNeeded: fp >> (8 * $0)) }))
                case .hexLE: Output.line(TextHex.encode(schema.fingerprint(.rabin)))
                }
            case .md5: Output.line(TextHex.encode(schema.fingerprint(.md5)))
            case .sha256: Output.line(TextHex.encode(schema.fingerprint(.sha256)))
            }
        }
    }

    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the changes from an old version of a schema to a new one, for code review.",
            discussion: """
                One line a change, in Avro's words (field added with a default, type promoted, enum symbol removed, \
                ...), then whether each version reads the other's data (BACKWARD: the new reads the old; FORWARD: \
                the old reads the new). Exit 0 whatever changed; 1 for an invalid schema.
                Example: canon schema diff <(git show main:schemas/Order.avsc) schemas/Order.avsc --import schemas/Address.avsc
                """
        )
        @Argument(help: "The old schema file.") var old: String
        @Argument(help: "The new schema file.") var new: String
        @OptionGroup var options: SchemaOptions

        func run() throws {
            let before = try options.load(old), after = try options.load(new)
            let changes = before.changes(to: after)
            if changes.isEmpty { Output.line("no changes") }
            for change in changes { Output.line(change.description) }
            func verdict(reader: AvroSchema, writer: AvroSchema) -> String {
                guard let problems = try? reader.incompatibilities(readingDataWrittenWith: writer) else { return "cannot be compared" }
                return problems.isEmpty ? "yes" : "no (" + problems.map(\.description).joined(separator: "; ") + ")"
            }
            Output.line("BACKWARD (the new schema reads data written with the old): \(verdict(reader: after, writer: before))")
            Output.line("FORWARD (the old schema reads data written with the new): \(verdict(reader: before, writer: after))")
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Validate schema files; exit 0 when all are valid, 1 with the errors otherwise (a default that does not match its field's type is a warning).",
            discussion: """
                The files are parsed together, so a named type defined in one file can be used in another, \
                whatever the order they are given in. JSON Schema files (.json, or --type json) are checked \
                against their draft's meta-schema and compiled; `$ref`s may name the other files by `$id`. \
                XML Schema files (.xsd) are compiled by libxml2, with the files they include or import read \
                from beside them; errors give the line and column.
                Example: canon schema check Schemas/bench/*.avsc
                """
        )
        @Argument(help: "Schema files (.avsc; .json for JSON Schema; .xsd for XML Schema).") var files: [String]
        @Option(help: "The files' format, when their extension does not say (avro, json, xsd).") var type: SchemaFileType?

        func run() throws {
            let xsd = files.filter { SchemaFileType(type, path: $0) == .xsd }
            if !xsd.isEmpty {
                guard xsd.count == files.count else { throw CLIFailure.unreadable("give XML Schema files in a run of their own") }
                var failed = false
                for file in files {
                    if let problem = try XSDFiles.problem(file) {
                        failed = true
                        Output.line(problem)
                    } else {
                        Output.line("\(file): valid")
                    }
                }
                if failed { throw CLIFailure.failed("") }
                return
            }
            let json = files.filter { SchemaFileType(type, path: $0) == .json }
            if !json.isEmpty {
                guard json.count == files.count else { throw CLIFailure.unreadable("give Avro and JSON Schema files in separate runs") }
                var schemas: [(String, JSONValue)] = []
                for file in files { schemas.append((file, try JSONSchemaFiles.parse(file))) }
                let documents = JSONSchemaFiles.documents(schemas)
                var failed = false
                for (file, schema) in schemas {
                    let problems = JSONSchemaFiles.problems(schema, file: file, documents: documents)
                    failed = failed || !problems.isEmpty
                    Output.line(problems.isEmpty ? "\(file): valid" : problems.map { "\(file): invalid: \($0)" }.joined(separator: "\n"))
                }
                if failed { throw CLIFailure.failed("") }
                return
            }
            var texts: [(String, String)] = []
            var seen = Set<String>()
            for file in files where seen.insert(file).inserted { texts.append((file, try readText(file))) }
            // A default that does not match its field's type is a warning, as the registry (like Confluent's,
            // whose avro.validate.defaults is off by default) accepts such schemas.
            var parser = AvroSchemaParser(validatesDefaults: false)
            var pending = texts
            var errors: [String: AvroError] = [:]
            var warnings: [String: [AvroError]] = [:]
            // Parse in rounds: a file whose types come from a later file succeeds in a later round.
            while !pending.isEmpty {
                var next: [(String, String)] = []
                for (file, text) in pending {
                    do {
                        _ = try parser.parse(text, file: file)
                        errors[file] = nil
                        warnings[file] = parser.defaultWarnings
                    } catch {
                        errors[file] = error
                        next.append((file, text))
                    }
                }
                if next.count == pending.count { break }
                pending = next
            }
            for (file, _) in texts {
                if let error = errors[file] {
                    var location = error.location
                    location.file = nil
                    Output.line("\(file): invalid: \(error.code): \(location): \(error.message)")
                } else {
                    Output.line("\(file): valid")
                    for warning in warnings[file] ?? [] {
                        var location = warning.location
                        location.file = nil
                        Output.line("\(file): warning: \(warning.code): \(location): \(warning.message)")
                    }
                }
            }
            if !errors.isEmpty { throw CLIFailure.failed("") }
        }
    }
}
