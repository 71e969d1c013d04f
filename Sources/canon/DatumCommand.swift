import ArgumentParser
import CanonAvro
import CanonAvroFiles
import CanonCore
import CanonXSD

struct DatumCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datum",
        abstract: "Validate datums, convert them between Avro's JSON and binary encodings, and read container files.",
        subcommands: [Validate.self, ToBinary.self, ToJSON.self, Cat.self]
    )
}

extension DatumCommand {
    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Validate JSON documents, one per line, or XML documents, one per file, against a schema; exit 1 naming each that fails.",
            discussion: """
                With a JSON Schema (.json, or --type json) each line is a JSON document; with an Avro schema, a \
                datum in Avro's JSON encoding. With an XML Schema (.xsd) each input file is one XML document, \
                parsed as the registry parses records (no DTD, no network) and validated by libxml2; every \
                error is printed with its line and element path.
                Example: canon datum validate --schema Schemas/bench/OrderPlaced.schema.json orders.jsonl
                Example: canon datum validate --schema order.xsd order-1.xml order-2.xml
                """
        )
        @Option(help: "The schema file (.json for JSON Schema, .avsc for Avro, .xsd for XML Schema).") var schema: String
        @Option(help: "The schema's format, when its extension does not say (avro, json, xsd).") var type: SchemaFileType?
        @Flag(help: "JSON Schema: check `format` (date-time, email, uuid, ...) instead of treating it as an annotation.")
        var assertFormats = false
        @OptionGroup var options: SchemaOptions
        @Argument(help: "Input files (default: standard input); for JSON and Avro, one at most.") var inputs: [String] = []

        func validate() throws {
            if inputs.count > 1 && SchemaFileType(type, path: schema) != .xsd {
                throw ValidationError("JSON and Avro documents are read one per line from one input")
            }
        }

        func run() throws {
            if SchemaFileType(type, path: schema) == .xsd { return try validateXML() }
            let input = inputs.first
            let check: (Substring) -> String?
            if SchemaFileType(type, path: schema) == .json {
                let validator = try JSONSchemaFiles.validator(schema, assertsFormats: assertFormats)
                check = { line in
                    do {
                        // Strict RFC 8259, as the registry's `full` validation reads payloads.
                        return validator.validate(try JSONReader.parse(bytes: Array(line.utf8), from: 0, strict: true)).map { "\($0)" }
                    } catch {
                        return "not JSON: \(error)"
                    }
                }
            } else {
                let schema = try options.load(self.schema)
                check = { line in
                    do {
                        _ = try AvroJSON.decode(text: String(line), schema: schema)
                        return nil
                    } catch {
                        return "\(error)"
                    }
                }
            }
            var lineNumber = 0, failures = 0, valid = 0
            for line in lines(try readText(input)) {
                lineNumber += 1
                guard !line.allSatisfy(\.isWhitespace) else { continue }
                if let problem = check(line) {
                    failures += 1
                    Output.line("line \(lineNumber): \(problem)")
                } else {
                    valid += 1
                }
            }
            if failures > 0 { throw CLIFailure.failed("\(failures) of \(failures + valid) documents are not valid") }
        }

        /// Each input is one XML document.
        private func validateXML() throws {
            let schema = try XSDFiles.load(self.schema)
            var failures = 0
            let names = inputs.isEmpty ? ["-"] : inputs
            for name in names {
                let errors: [XSDError]
                do {
                    errors = try XSDFormat.validityErrors(of: try readInput(name == "-" ? nil : name), against: schema)
                } catch let error as XSDError {
                    errors = [error]
                }
                if errors.isEmpty {
                    Output.line("\(name): valid")
                } else {
                    failures += 1
                    for error in errors { Output.line("\(name): \(error)") }
                }
            }
            if failures > 0 { throw CLIFailure.failed("\(failures) of \(names.count) documents are not valid") }
        }
    }

    struct ToBinary: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "to-binary",
            abstract: "Read one Avro-JSON datum per line and write the binary encodings.",
            discussion: """
                Unions are written as null or {"<type name>": value}; bytes and fixed as strings of code points 0-255.
                Example: echo '{"a": 27, "b": "foo"}' | canon datum to-binary --schema test.avsc --hex
                """
        )
        @Option(help: "The schema file (.avsc).") var schema: String
        @OptionGroup var options: SchemaOptions
        @Flag(help: "Print one line of lowercase hex per datum instead of raw bytes.") var hex = false
        @Argument(help: "Input file (default: standard input).") var input: String?

        func run() throws {
            let schema = try options.load(self.schema)
            let text = try readText(input)
            var writer = AvroBinaryWriter()
            var out: [UInt8] = []
            var lineNumber = 0
            for line in lines(text) {
                lineNumber += 1
                guard !line.allSatisfy(\.isWhitespace) else { continue }
                writer.reset()
                do {
                    try schema.encode(AvroJSON.decode(text: String(line), schema: schema), into: &writer)
                } catch {
                    Output.write(out)
                    throw CLIFailure.failed("input line \(lineNumber): \(error)")
                }
                if hex {
                    out += Array((TextHex.encode(writer.bytes) + "\n").utf8)
                } else {
                    out += writer.bytes
                }
            }
            Output.write(out)
        }
    }

    struct ToJSON: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "to-json",
            abstract: "Read binary datums and print each in Avro's JSON encoding, one per line.",
            discussion: """
                Without --hex the input is a sequence of binary datums back to back; with --hex, one datum per line \
                as hex. Output: unions as {"<type name>": value} (full names for named types), bytes and fixed as \
                strings of code points 0-255, logical types as their underlying type.
                Example: echo 3606666f6f | canon datum to-json --schema test.avsc --hex
                Old data with a new schema: canon datum to-json --schema v2.avsc --writer-schema v1.avsc old.bin
                """
        )
        @Option(help: "The schema file (.avsc): the reader schema when --writer-schema is given.") var schema: String
        @Option(help: "The schema the data was written with, when it differs: the data is read into --schema's shape (schema resolution).")
        var writerSchema: String?
        @OptionGroup var options: SchemaOptions
        @Flag(help: "Read one line of hex per datum.") var hex = false
        @Argument(help: "Input file (default: standard input).") var input: String?

        func run() throws {
            let schema = try options.load(self.schema)
            let resolver = try writerSchema.map { (path) throws(CLIFailure) in
                let writer = try options.load(path)
                do {
                    return try AvroResolver(writer: writer, reader: schema)
                } catch {
                    throw CLIFailure.unreadable("\(error)")
                }
            }
            func decode(_ r: inout AvroBinaryReader) throws(AvroError) -> AvroValue {
                if let resolver { return try resolver.decode(from: &r) }
                return try schema.decode(from: &r)
            }
            let data = try readInput(input)
            if hex {
                guard let text = String(validating: data, as: UTF8.self) else { throw CLIFailure.unreadable("hex input is not text") }
                // Every line is one datum (an empty line is the empty encoding, e.g. of "null").
                var hexLines = lines(text)
                if hexLines.last?.isEmpty == true { hexLines.removeLast() }
                for (i, line) in hexLines.enumerated() {
                    let lineNumber = i + 1
                    guard let bytes = TextHex.decode(line.trimmingCharacters(in: " \t\r")) else {
                        throw CLIFailure.unreadable("input line \(lineNumber): not hex")
                    }
                    do throws(AvroError) {
                        let value = try AvroBinaryReader.readingAll(bytes) { (r) throws(AvroError) -> AvroValue in try decode(&r) }
                        Output.line(try AvroJSON.encodeText(value, schema: schema))
                    } catch {
                        throw CLIFailure.failed("input line \(lineNumber): \(error)")
                    }
                }
            } else {
                var index = 0
                let failure: AvroError? = AvroBinaryReader.withReader(data) { r in
                    while !r.isAtEnd {
                        do throws(AvroError) {
                            let start = r.offset
                            let value = try decode(&r)
                            if r.offset == start {
                                // A datum of zero bytes (null, an empty record) cannot be followed by more input.
                                try r.expectEnd()
                            }
                            Output.line(try AvroJSON.encodeText(value, schema: schema))
                            index += 1
                        } catch {
                            return error
                        }
                    }
                    return nil
                }
                if let failure { throw CLIFailure.failed("datum \(index): \(failure)") }
            }
        }
    }

    struct Cat: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print an object container file's records as JSON lines (Avro's JSON encoding).",
            discussion: "Example: canon datum cat weather.avro"
        )
        @Argument(help: "The container file (.avro).") var file: String
        @Flag(help: "Print the file's schema (full rendering) instead of its records.") var schema = false

        func run() throws {
            let bytes = try readInput(file)
            let reader: AvroContainerReader
            do {
                reader = try AvroContainerReader(bytes: bytes)
            } catch {
                throw CLIFailure.unreadable("\(file): \(error)")
            }
            if schema {
                Output.line(reader.schema.fullRendering)
                return
            }
            var writer = JSONWriter()
            do {
                try reader.forEach { (value) throws(AvroError) in
                    writer.write(try AvroJSON.encode(value, schema: reader.schema))
                    writer.writeRaw("\n")
                    if writer.bytes.count > 1 << 16 {
                        Output.write(writer.bytes)
                        writer.reset()
                    }
                }
            } catch {
                Output.write(writer.bytes)
                throw CLIFailure.failed("\(file): \(error)")
            }
            Output.write(writer.bytes)
        }
    }
}

/// The lines of `text`, split at LF or CRLF.
func lines(_ text: String) -> [Substring] {
    text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        let chars = Set(set)
        var s = Substring(self)
        while let f = s.first, chars.contains(f) { s = s.dropFirst() }
        while let l = s.last, chars.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
