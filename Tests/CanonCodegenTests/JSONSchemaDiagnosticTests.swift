@testable import CanonCodegen
import CanonCore
import CanonTestSupport
import Foundation
import Testing

/// JSON Schema files the generator cannot map to Swift are refused with the file, the place in it and
/// the reason; what it can map comes out as the construct the issue names.
@Suite struct JSONSchemaDiagnosticTests {
    func messages(_ files: [(String, String)], config: String? = nil) -> [String] {
        do {
            _ = try CanonCodegen.generate(
                schemaFiles: files.map { SourceFile(path: $0.0, contents: $0.1) },
                config: config.map { SourceFile(path: "canon-codegen.json", contents: $0) })
            Issue.record("generation succeeded")
            return []
        } catch {
            return error.diagnostics.map { "\($0.file): \($0.message)" }
        }
    }

    func generated(_ files: [(String, String)]) throws -> String {
        try CanonCodegen.generate(schemaFiles: files.map { SourceFile(path: $0.0, contents: $0.1) }).map(\.contents).joined()
    }

    @Test func oneOfBranchesOfTheSameKindWithoutADiscriminatorNameTheSchema() {
        let m = messages([
            (
                "Event.schema.json",
                ##"{"title":"Event","type":"object","properties":{"id":{"oneOf":[{"type":"string","format":"uuid"},{"type":"string","pattern":"^x"}]}}}"##
            )
        ])
        #expect(m.count == 1)
        #expect(m.first?.hasPrefix("Event.schema.json: at #/properties/id: oneOf/anyOf has 2 branches") == true, "\(m)")
        #expect(m.first?.contains("2 branches of kind string") == true, "\(m)")
    }

    @Test func objectBranchesNeedAPropertyEachFixesToADifferentString() {
        let m = messages([
            (
                "Shape.schema.json",
                ##"{"title":"Shape","anyOf":[{"type":"object","properties":{"r":{"type":"number"}}},{"type":"object","properties":{"w":{"type":"number"}}}]}"##
            )
        ])
        #expect(
            m.first?.contains("Shape.schema.json") == true && m.first?.contains("no property that every one of them fixes") == true, "\(m)")
    }

    @Test func aBranchAdmittingSeveralKindsCannotBeToldApart() {
        let m = messages([("A.schema.json", ##"{"title":"A","oneOf":[{"type":"string"},{}]}"##)])
        #expect(m.first?.hasPrefix("A.schema.json: at #/oneOf/1") == true && m.first?.contains("any kind of value") == true, "\(m)")
    }

    @Test func falseSchemasUnresolvableReferencesAndNameClashesAreNamed() {
        #expect(
            messages([("F.schema.json", ##"{"title":"F","type":"object","properties":{"never":{"type":"array","items":false}}}"##)]).first?
                .contains("F.schema.json: at #/properties/never/items: the schema false admits no value") == true)
        #expect(
            messages([("R.schema.json", ##"{"title":"R","type":"object","properties":{"x":{"$ref":"Missing.schema.json"}}}"##)]).first?
                .contains("cannot resolve $ref 'Missing.schema.json'") == true)
        let clash = messages([
            ("a/Order.schema.json", ##"{"title":"Order","type":"object","properties":{"id":{"type":"string"}}}"##),
            ("b/Order.schema.json", ##"{"title":"Order","type":"object","properties":{"n":{"type":"integer"}}}"##),
        ])
        #expect(clash.first?.contains("would be named Order, as a/Order.schema.json's is") == true, "\(clash)")
        #expect(messages([("Bad.schema.json", "{")]).first?.hasPrefix("Bad.schema.json: not valid JSON") == true)
    }

    @Test func aTopicMixingFormatsIsRefused() {
        let m = messages(
            [
                ("Order.schema.json", ##"{"title":"Order","type":"object","properties":{"id":{"type":"string"}}}"##),
                ("Key.avsc", ##"{"type":"record","name":"Key","fields":[{"name":"id","type":"string"}]}"##),
            ], config: ##"{"topics":[{"topic":"orders","key":"Key","value":"Order"}]}"##)
        #expect(m.first?.contains("/topics/0/key: a JSON Schema topic's key must be a JSON Schema type") == true, "\(m)")
    }

    @Test func integerAndNumberFormatsBecomeExactSwiftTypes() throws {
        let swift = try generated([
            (
                "N.schema.json",
                ##"{"title":"N","type":"object","properties":{"a":{"type":"integer","format":"int8"},"b":{"type":"integer","format":"uint64"},"c":{"type":"integer"},"d":{"type":"number","format":"float"},"e":{"type":"number"},"f":{"type":["integer","number"]}},"required":["a","b","c","d","e","f"]}"##
            )
        ])
        for line in [
            "var a: Swift.Int8", "var b: Swift.UInt64", "var c: Swift.Int\n", "var d: Swift.Float", "var e: Swift.Double",
            "var f: Swift.Double",
        ] {
            #expect(swift.contains(line), "\(line)")
        }
    }

    @Test func forbiddenPropertiesAreLeftOutAndAnEmptyTypeStillReadsAnObject() throws {
        let swift = try generated([
            ("E.schema.json", ##"{"title":"E","type":"object","properties":{"gone":false},"additionalProperties":false}"##)
        ])
        #expect(!swift.contains("var gone") && !swift.contains("\"gone\")"))
        #expect(swift.contains("_ = try decoder.container(keyedBy: CanonJSONSchema.JSONCodingKey.self)"))
        #expect(swift.contains("_ = encoder.container(keyedBy: CanonJSONSchema.JSONCodingKey.self)"))
    }

    @Test func aTypeNameBothFormatsDefineIsRefused() {
        let m = messages([
            ("Order.schema.json", ##"{"title":"Order","type":"object","properties":{"id":{"type":"string"}}}"##),
            ("Order.avsc", ##"{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}"##),
        ])
        #expect(
            m == [
                "Order.schema.json: its type Order has the name of an Avro type of this target; give one of them another name (title, or typeNames)"
            ])
    }

    @Test func aTargetWithJSONTopicsOnlyDoesNotImportTheAvroRuntime() throws {
        let files = try CanonCodegen.generate(
            schemaFiles: [
                SourceFile(path: "E.schema.json", contents: ##"{"title":"Event","type":"object","properties":{"id":{"type":"string"}}}"##)
            ],
            config: SourceFile(path: "canon-codegen.json", contents: #"{"topics":[{"topic":"events","key":"string","value":"Event"}]}"#))
        let topics = try #require(files.first { $0.name == CanonCodegen.topicsFileName }).contents
        #expect(!topics.contains("import CanonAvro") && topics.contains("import CanonJSONSchema"))
        #expect(topics.contains("CanonJSONSchema.JSONTopic"))
    }

    @Test func aReferenceByIDResolvesWhateverTheFileOrder() throws {
        let money = SourceFile(
            path: "b/Money.schema.json",
            contents: ##"{"$id":"https://x.example/money","title":"Money","type":"object","properties":{"cents":{"type":"integer"}}}"##)
        let order = SourceFile(
            path: "a/Order.schema.json",
            contents: ##"{"title":"Order","type":"object","properties":{"price":{"$ref":"https://x.example/money"}}}"##)
        let one = try CanonCodegen.generate(schemaFiles: [order, money])
        let other = try CanonCodegen.generate(schemaFiles: [money, order])
        #expect(Set(one) == Set(other))
        let swift = try #require(one.first { $0.name == "a_Order.schema.json.swift" }).contents
        #expect(swift.contains("public var price: Money?"))
        // The registered text embeds the referenced file under its own $id.
        #expect(swift.contains(#"\"canon:b/Money.schema.json\":{\"$id\":\"https://x.example/money\",\"title\":\"Money\""#))
    }

    @Test func nestedTypesNeverHideATopLevelTypeOrMeanSomethingElse() throws {
        let swift = try generated([
            (
                "N.schema.json",
                ##"{"title":"N","type":"object","properties":{"type":{"enum":["a","b"]},"card":{"type":"object","properties":{"x":{"type":"string"}}},"c":{"$ref":"#/$defs/Card"}},"$defs":{"Card":{"type":"object","properties":{"y":{"type":"string"}}}}}"##
            )
        ])
        #expect(swift.contains("public var type: N.Type2?"))
        #expect(swift.contains("public var card: N.Card2?"))
        #expect(swift.contains("public var c: Card?"))
    }

    @Test func propertiesBesideOneOfMakeOneStructWithTheBranchesPropertiesOptional() throws {
        let swift = try generated([
            (
                "C.schema.json",
                ##"{"title":"C","type":"object","properties":{"email":{"type":"string"}},"oneOf":[{"required":["email"]},{"properties":{"phone":{"type":"string"}},"required":["phone"]}]}"##
            )
        ])
        #expect(swift.contains("public var email: Swift.String?") && swift.contains("public var phone: Swift.String?"))
        #expect(!swift.contains("enum C"))
    }

    @Test func definitionsAreNamedTypesAndPrimitiveDefinitionsAreInlined() throws {
        let swift = try generated([
            (
                "D.schema.json",
                ##"{"title":"D","type":"object","properties":{"a":{"$ref":"#/$defs/Money"},"b":{"$ref":"#/$defs/Email"},"m":{"type":"object","additionalProperties":{"$ref":"#/$defs/Money"}}},"$defs":{"Money":{"type":"object","properties":{"cents":{"type":"integer"}}},"Email":{"type":"string","format":"email"}}}"##
            )
        ])
        #expect(swift.contains("public struct Money: Swift.Codable"))
        #expect(swift.contains("public var a: Money?"))
        #expect(swift.contains("public var b: Swift.String?"))
        #expect(swift.contains("public var m: [Swift.String: Money]?"))
    }
}

/// Schemas no one here wrote: every schema of the official JSON-Schema-Test-Suite and of Confluent's diff
/// fixtures either generates Swift or is refused with a diagnostic naming its file; none crashes the
/// generator, and generating twice gives the same output.
@Suite struct JSONSchemaCorpusTests {
    static func corpus() throws -> [(String, String)] {
        var out: [(String, String)] = []
        let suite = TestData.shared.appendingPathComponent("testdata/jsonschema/json-schema-test-suite/tests")
        let enumerator = FileManager.default.enumerator(atPath: suite.path)!
        while let path = enumerator.nextObject() as? String {
            guard path.hasSuffix(".json") else { continue }
            // The suite's own files only (not the odd file of another shape or with comments).
            guard let text = try? String(contentsOf: suite.appendingPathComponent(path), encoding: .utf8),
                case .array(let items)? = try? JSONReader.parse(text)
            else { continue }
            for (i, group) in items.enumerated() {
                if let schema = group["schema"] {
                    out.append(("\(path.replacingOccurrences(of: "/", with: "_"))-\(i).schema.json", schema.jsonText))
                }
            }
        }
        let confluent = TestData.shared.appendingPathComponent("testdata/jsonschema/confluent")
        for name in ["diff-schema-examples.json", "diff-schema-examples-2020-12.json", "diff-combined-schema-examples.json"] {
            var text = try String(contentsOf: confluent.appendingPathComponent(name), encoding: .utf8)
            // One file has a trailing comma (SOURCES.md): Jackson reads it, RFC 8259 does not.
            text = text.replacingOccurrences(of: #",\s*\}"#, with: "}", options: .regularExpression)
            guard case .array(let cases) = try JSONReader.parse(text) else { continue }
            for (i, c) in cases.enumerated() {
                for key in ["original_schema", "update_schema"] {
                    if let schema = c[key] { out.append(("\(name)-\(i)-\(key).schema.json", schema.jsonText)) }
                }
            }
        }
        return out
    }

    @Test func everyCorpusSchemaGeneratesOrIsRefusedNamingItsFile() throws {
        let corpus = try Self.corpus()
        #expect(corpus.count > 1500)
        var generated = 0
        var refused = 0
        for (path, text) in corpus {
            let file = SourceFile(path: path, contents: text)
            do {
                let first = try CanonCodegen.generate(schemaFiles: [file])
                #expect(try CanonCodegen.generate(schemaFiles: [file]) == first)
                generated += 1
            } catch {
                #expect(error.diagnostics.allSatisfy { $0.file == path && !$0.message.isEmpty }, "\(path): \(error)")
                refused += 1
            }
        }
        #expect(generated > refused, "generated \(generated), refused \(refused)")
    }
}
