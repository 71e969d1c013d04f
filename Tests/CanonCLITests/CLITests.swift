import CanonAvro
import CanonCore
import CanonTestSupport
import Foundation
import Testing

/// The `canon` executable as a user runs it: outputs and exit codes (0 ok, 1 negative verdict or error,
/// 2 usage or unreadable input).
@Suite struct CLITests {
    static var executable: String {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("canon").path,
            Bundle.main.bundleURL.appendingPathComponent("canon").path,
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("canon").path,
            TestData.packageRoot.appendingPathComponent(".build/debug/canon").path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }

    static func canon(_ arguments: String..., input: String = "") throws -> ProcessResult {
        try runProcess(executable, arguments, input: Array(input.utf8), currentDirectory: TestData.packageRoot)
    }

    static let orderPlaced = "Schemas/bench/OrderPlaced.avsc"
    static var share: String { TestData.apacheShare.path }

    static func temporaryFile(_ contents: String, name: String = "schema.avsc") throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("canon-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try contents.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test func canonicalPrintsTheParsingCanonicalForm() throws {
        let r = try Self.canon("schema", "canonical", Self.orderPlaced)
        #expect(r.status == 0)
        #expect(
            r.stdoutText.hasPrefix(
                #"{"name":"com.example.orders.OrderPlaced","type":"record","fields":[{"name":"orderId","type":"string"}"#))
    }

    @Test func renderPrintsTheFullRendering() throws {
        let r = try Self.canon("schema", "render", Self.orderPlaced)
        #expect(r.status == 0)
        let expected = try TestData.text(TestData.packageRoot.appendingPathComponent(Self.orderPlaced)).trimmingCharacters(
            in: .whitespacesAndNewlines)
        #expect(r.stdoutText == expected + "\n")
    }

    @Test func fingerprintFormats() throws {
        let file = try Self.temporaryFile(#"{"type":"int"}"#)
        #expect(try Self.canon("schema", "fingerprint", file).stdoutText == "8247732601305521295\n")
        #expect(try Self.canon("schema", "fingerprint", file, "--format", "hex").stdoutText == "7275d51a3f395c8f\n")
        #expect(try Self.canon("schema", "fingerprint", file, "--format", "hex-le").stdoutText == "8f5c393f1ad57572\n")
        #expect(try Self.canon("schema", "fingerprint", file, "--algorithm", "md5").stdoutText == "ef524ea1b91e73173d938ade36c1db32\n")
        #expect(
            try Self.canon("schema", "fingerprint", file, "--algorithm", "sha256").stdoutText
                == "3f2b87a9fe7cc9b13835598c3981cd45e3e355309e5090aa0933d7becb6fba45\n")
        #expect(try Self.canon("schema", "fingerprint", file, "--algorithm", "md5", "--format", "decimal").status == 2)
    }

    @Test func checkExitsZeroWhenValidAndOneWithTheErrors() throws {
        let good = try Self.canon("schema", "check", Self.orderPlaced, "\(Self.share)/schemas/interop.avsc")
        #expect(good.status == 0)
        #expect(good.stdoutText.contains("interop.avsc: valid"))

        let bad = try Self.temporaryFile(#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"a","type":"int"}]}"#)
        let r = try Self.canon("schema", "check", Self.orderPlaced, bad)
        #expect(r.status == 1)
        #expect(r.stdoutText.contains("invalid: duplicate-field: at /fields/1/name: duplicate field 'a'"))
        let syntax = try Self.temporaryFile("{\"type\": 01}")
        #expect(try Self.canon("schema", "check", syntax).stdoutText.contains("invalid: invalid-json: line 1, column 11: leading zeros"))
        // A default that does not match its type is a warning: registries (Confluent's, Canon's) accept it.
        let badDefault = try Self.temporaryFile(#"{"type":"record","name":"R","fields":[{"name":"n","type":"int","default":"x"}]}"#)
        let warned = try Self.canon("schema", "check", badDefault)
        #expect(warned.status == 0)
        #expect(warned.stdoutText.contains(": valid\n"))
        #expect(warned.stdoutText.contains(": warning: invalid-default: at /fields/0/default: invalid default for field 'n'"))
    }

    @Test func checkResolvesTypesAcrossFilesInAnyOrder() throws {
        let address = try Self.temporaryFile(
            #"{"type":"record","name":"Address","namespace":"x","fields":[{"name":"city","type":"string"}]}"#, name: "Address.avsc")
        let user = try Self.temporaryFile(
            #"{"type":"record","name":"User","namespace":"x","fields":[{"name":"home","type":"Address"}]}"#, name: "User.avsc")
        #expect(try Self.canon("schema", "check", user, address).status == 0)
        #expect(try Self.canon("schema", "check", user).status == 1)
        let rendered = try Self.canon("schema", "render", user, "--import", address)
        #expect(rendered.status == 0)
        #expect(rendered.stdoutText.contains(#"{"name":"home","type":{"type":"record","name":"Address","fields":"#))
    }

    @Test func unreadableInputAndUsageErrorsExitTwo() throws {
        #expect(try Self.canon("schema", "canonical", "/no/such/file.avsc").status == 2)
        #expect(try Self.canon("schema", "check", "/no/such/file.avsc").status == 2)
        #expect(try Self.canon("schema", "frobnicate").status == 2)
        #expect(try Self.canon("datum", "to-binary").status == 2)
        let notText = try Self.temporaryFile("\u{FFFE}")
        try Data([0xFF, 0xFE, 0x00]).write(to: URL(fileURLWithPath: notText))
        #expect(try Self.canon("schema", "render", notText).status == 2)
    }

    @Test func invalidSchemaIsANegativeVerdictForEveryCommand() throws {
        let bad = try Self.temporaryFile("{not json")
        let r = try Self.canon("schema", "canonical", bad)
        #expect(r.status == 1)
        #expect(r.stderr.contains("line 1, column 2"))
        let dup = try Self.temporaryFile(#"{"type":"enum","name":"E","symbols":["A","A"]}"#)
        #expect(try Self.canon("schema", "render", dup).status == 1)
        #expect(try Self.canon("datum", "to-json", "--schema", dup, "--hex", input: "00\n").status == 1)
    }

    @Test func zeroByteDatumsFollowedByInputAreAnErrorNotALoop() throws {
        let null = try Self.temporaryFile(#""null""#)
        let r = try Self.canon("datum", "to-json", "--schema", null, input: "x")
        #expect(r.status == 1)
        #expect(r.stderr.contains("trailing byte"))
        #expect(try Self.canon("datum", "to-json", "--schema", null, "--hex", input: "\n\n").stdoutText == "null\nnull\n")
    }

    @Test func crlfLineEndingsAreAccepted() throws {
        let file = try Self.temporaryFile(#"["null","string"]"#)
        let r = try Self.canon("datum", "to-binary", "--schema", file, "--hex", input: "{\"string\":\"a\"}\r\nnull\r\n")
        #expect(r.status == 0)
        #expect(r.stdoutText == "020261\n00\n")
        #expect(
            try Self.canon("datum", "to-json", "--schema", file, "--hex", input: "020261\r\n00\r\n").stdoutText
                == "{\"string\":\"a\"}\nnull\n")
    }

    @Test func helpIsAvailableForEveryCommand() throws {
        for command in [
            ["--help"], ["schema", "--help"], ["schema", "fingerprint", "--help"], ["datum", "to-json", "--help"],
            ["datum", "cat", "--help"],
        ] {
            let r = try runProcess(Self.executable, command)
            #expect(r.status == 0)
            #expect(r.stdoutText.contains("USAGE"))
        }
    }

    @Test func datumToBinaryAndBackRoundTripsTheReferenceEvent() throws {
        let json = try Self.canon("datum", "to-json", "--schema", Self.orderPlaced, "--hex", input: Self.orderPlacedHex + "\n")
        #expect(json.status == 0)
        #expect(json.stdoutText.contains(#""couponCode":{"string":"SAVE10"}"#))
        #expect(json.stdoutText.contains(#""status":"PAID""#))
        let hex = try Self.canon("datum", "to-binary", "--schema", Self.orderPlaced, "--hex", input: json.stdoutText)
        #expect(hex.status == 0)
        #expect(hex.stdoutText == Self.orderPlacedHex + "\n")
        // Raw binary: several datums back to back.
        let raw = try Self.canon("datum", "to-binary", "--schema", Self.orderPlaced, input: json.stdoutText + json.stdoutText)
        #expect(raw.stdout == TestData.hexBytes(Self.orderPlacedHex + Self.orderPlacedHex))
        let back = try runProcess(
            Self.executable, ["datum", "to-json", "--schema", Self.orderPlaced], input: raw.stdout, currentDirectory: TestData.packageRoot)
        #expect(back.stdoutText == json.stdoutText + json.stdoutText)
    }

    @Test func datumThatDoesNotMatchTheSchemaExitsOne() throws {
        let file = try Self.temporaryFile(#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#)
        let r = try Self.canon("datum", "to-binary", "--schema", file, "--hex", input: "{\"a\": 1}\n{\"a\": \"x\"}\n")
        #expect(r.status == 1)
        #expect(r.stdoutText == "02\n")
        #expect(r.stderr.contains("line 2"))
        #expect(r.stderr.contains("/a"))
        let truncated = try Self.canon("datum", "to-json", "--schema", file, "--hex", input: "80\n")
        #expect(truncated.status == 1)
        #expect(truncated.stderr.contains("at byte 0"))
    }

    @Test func datumCatPrintsContainerRecordsAndSchema() throws {
        let r = try Self.canon("datum", "cat", "\(Self.share)/data/weather-snappy.avro")
        #expect(r.status == 0)
        #expect(
            r.stdoutText
                == (try TestData.text(TestData.apacheShare.appendingPathComponent("data/weather.json"))).replacingOccurrences(
                    of: ", ", with: ","
                ).replacingOccurrences(of: ": ", with: ":"))
        let s = try Self.canon("datum", "cat", "--schema", "\(Self.share)/data/weather.avro")
        #expect(s.stdoutText.hasPrefix(#"{"type":"record","name":"Weather","namespace":"test""#))
        let zstd = try Self.canon("datum", "cat", "\(Self.share)/data/weather-zstd.avro")
        #expect(zstd.status == 2)
        #expect(zstd.stderr.contains("unsupported codec 'zstandard'"))
    }

    static let v1 = #"{"type":"record","name":"myrecord","fields":[{"name":"f1","type":"string"}]}"#
    static let v2 =
        #"{"type":"record","name":"myrecord","fields":[{"name":"f1","type":"string"},{"name":"f2","type":"string","default":"foo"}]}"#
    static let v3 = #"{"type":"record","name":"myrecord","fields":[{"name":"f1","type":"string"},{"name":"f2","type":"string"}]}"#

    @Test func compatPairCheckPrintsEachIncompatibilityWithItsLocation() throws {
        let (s1, s2, s3) = (try Self.temporaryFile(Self.v1), try Self.temporaryFile(Self.v2), try Self.temporaryFile(Self.v3))
        let ok = try Self.canon("compat", "check", "--reader", s2, "--writer", s1)
        #expect(ok.status == 0)
        #expect(ok.stdoutText == "compatible\n")
        let bad = try Self.canon("compat", "check", "--reader", s3, "--writer", s1)
        #expect(bad.status == 1)
        #expect(bad.stdoutText == "READER_FIELD_MISSING_DEFAULT_VALUE at /fields/1: f2\n")
        let json = try Self.canon("compat", "check", "--reader", s3, "--writer", s1, "--json")
        #expect(json.stdoutText.hasPrefix(#"{"is_compatible":false,"messages":["{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE'"#))
    }

    @Test func compatLevelCheckFollowsTheLevel() throws {
        let (s1, s2, s3) = (try Self.temporaryFile(Self.v1), try Self.temporaryFile(Self.v2), try Self.temporaryFile(Self.v3))
        #expect(try Self.canon("compat", "check", "--level", "BACKWARD", "--new", s3, "--previous", s1, s2).status == 0)
        let transitive = try Self.canon("compat", "check", "--level", "backward_transitive", "--new", s3, "--previous", s1, s2, "--json")
        #expect(transitive.status == 1)
        let verdict = try JSONReader.parse(transitive.stdoutText)
        #expect(verdict["is_compatible"] == .bool(false))
        guard case .array(let messages)? = verdict["messages"] else { Issue.record("no messages"); return }
        #expect(messages.contains(.string("{oldSchemaVersion: 1}")))
        #expect(messages.contains(.string("{validateFields: 'false', compatibility: 'BACKWARD_TRANSITIVE'}")))
    }

    @Test func compatInvalidInputsExitTwo() throws {
        let s1 = try Self.temporaryFile(Self.v1)
        let bad = try Self.temporaryFile(#"{"type":"record","name":"R","fields":[{"name":"a","type":"nope"}]}"#)
        #expect(try Self.canon("compat", "check", "--reader", bad, "--writer", s1).status == 2)
        #expect(try Self.canon("compat", "check", "--reader", s1).status == 2)
        #expect(try Self.canon("compat", "check", "--level", "SIDEWAYS", "--new", s1, "--previous", s1).status == 2)
    }

    @Test func toJSONReadsOldDataWithTheNewSchema() throws {
        let (s1, s2) = (try Self.temporaryFile(Self.v1), try Self.temporaryFile(Self.v2))
        let r = try Self.canon("datum", "to-json", "--schema", s2, "--writer-schema", s1, "--hex", input: "0a68656c6c6f\n")
        #expect(r.status == 0)
        #expect(r.stdoutText == #"{"f1":"hello","f2":"foo"}"# + "\n")
    }

    static let orderPlacedHex =
        "4833663262386331652d396134642d346537622d386332662d3161356436653766383039319693d89fee47f6a1abfef962020612d687064555520614534b552d303030313233043d0ad7a370fd334014534b552d303034353637020000000000306f4014534b552d3038393031320a0000000000000e4000040e6368616e6e656c067765621063616d706169676e18626c61636b2d66726964617900020c5341564531300220486175707473747261737365203132330c4265726c696e0a3130313135044445"
}
