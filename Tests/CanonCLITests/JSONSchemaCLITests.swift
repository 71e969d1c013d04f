import CanonTestSupport
import Foundation
import Testing

/// `canon schema check` and `canon datum validate` with JSON Schema files.
@Suite struct JSONSchemaCLITests {
    static let orderPlaced = "Schemas/bench/OrderPlaced.schema.json"

    @Test func datumValidateNamesEachLineThatFailsAndExitsOne() throws {
        let event = try String(contentsOf: TestData.packageRoot.appendingPathComponent("Schemas/bench/OrderPlaced.json"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let ok = try CLITests.canon("datum", "validate", "--schema", Self.orderPlaced, input: event + "\n" + event + "\n")
        #expect(ok.status == 0, "\(ok.stdoutText)\(ok.stderr)")
        let input = [event, #"{"orderId":"x"}"#, "not json", event.replacingOccurrences(of: "\"PAID\"", with: "\"LOST\"")].joined(
            separator: "\n")
        let failed = try CLITests.canon("datum", "validate", "--schema", Self.orderPlaced, input: input)
        #expect(failed.status == 1)
        let lines = failed.stdoutText.split(separator: "\n")
        #expect(lines.count == 3, "\(failed.stdoutText)")
        #expect(lines.first?.hasPrefix("line 2: the instance: the required property 'customerId' is missing") == true)
        #expect(lines.dropFirst().first?.hasPrefix("line 3: not JSON") == true)
        #expect(lines.last?.hasPrefix(#"line 4: /status: "LOST" is not one of the enum's values (enum at "#) == true)
        #expect(failed.stderr.contains("3 of 4 documents are not valid"))
        // Lines are read as strictly as the registry reads payloads: NaN is no JSON.
        let nan = try CLITests.canon("datum", "validate", "--schema", Self.orderPlaced, input: #"{"orderId":NaN}"#)
        #expect(nan.status == 1 && nan.stdoutText.contains("not JSON"))
        // --type says the format when the extension does not.
        let renamed = try CLITests.temporaryFile(
            try String(contentsOfFile: TestData.packageRoot.appendingPathComponent(Self.orderPlaced).path, encoding: .utf8),
            name: "order.schema")
        #expect(try CLITests.canon("datum", "validate", "--schema", renamed, "--type", "json", input: event).status == 0)
    }

    @Test func schemaCheckUsesTheMetaSchemaAndNamesTheKeyword() throws {
        #expect(try CLITests.canon("schema", "check", Self.orderPlaced).stdoutText == "\(Self.orderPlaced): valid\n")
        let badKeyword = try CLITests.temporaryFile(#"{"type":"object","properties":{"a":{"minLength":"x"}}}"#, name: "bad.json")
        let badTitle = try CLITests.temporaryFile(
            #"{"$schema":"https://json-schema.org/draft/2020-12/schema","title":5}"#, name: "title.json")
        let r = try CLITests.canon("schema", "check", badKeyword, badTitle, Self.orderPlaced)
        #expect(r.status == 1)
        #expect(r.stdoutText.contains("bad.json: invalid: \(badKeyword)#/properties/a/minLength: minLength must be a non-negative integer"))
        #expect(
            r.stdoutText.contains("title.json: invalid: not a valid 2020-12 schema: /title: 5 is not of type string"), "\(r.stdoutText)")
        #expect(r.stdoutText.contains("\(Self.orderPlaced): valid"))
    }

    @Test func compatCheckUsesConfluentsJSONSchemaRules() throws {
        let old = try CLITests.temporaryFile(#"{"type":"object","properties":{"a":{"type":"string"}}}"#, name: "old.json")
        let new = try CLITests.temporaryFile(
            #"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}}}"#, name: "new.json")
        let backward = try CLITests.canon("compat", "check", "--reader", new, "--writer", old)
        #expect(backward.status == 1)
        #expect(
            backward.stdoutText.hasPrefix(
                #"{errorType:"OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", description:"The new schema has an open content model and has a property or item at path '#/properties/b'"#
            ))
        let forward = try CLITests.canon("compat", "check", "--level", "FORWARD", "--new", new, "--previous", old, "--json")
        #expect(forward.status == 0 && forward.stdoutText == "{\"is_compatible\":true,\"messages\":[]}\n", "\(forward.stdoutText)")
        #expect(try CLITests.canon("compat", "check", "--reader", new, "--writer", old, "--policy", "lenient").stdoutText == "compatible\n")
        let broken = try CLITests.temporaryFile(#"{"type":5}"#, name: "broken.json")
        #expect(try CLITests.canon("compat", "check", "--reader", broken, "--writer", old).status == 2)
    }

    @Test func renderPrintsTheIdentityAndTheNormalizedForm() throws {
        let file = try CLITests.temporaryFile(
            "{ \"type\": \"object\",\n  \"properties\": {\"b\": {}, \"a\": {\"type\": \"string\"}} }", name: "s.json")
        #expect(
            try CLITests.canon("schema", "render", file).stdoutText == #"{"type":"object","properties":{"b":{},"a":{"type":"string"}}}"#
                + "\n")
        #expect(
            try CLITests.canon("schema", "render", "--normalize", file).stdoutText
                == #"{"properties":{"a":{"type":"string"},"b":{}},"type":"object"}"# + "\n")
        let bad = try CLITests.temporaryFile(#"{"type":"nope"}"#, name: "bad.json")
        let refused = try CLITests.canon("schema", "render", bad)
        #expect(refused.status == 1 && refused.stderr.contains("names no JSON type"))
    }
}
