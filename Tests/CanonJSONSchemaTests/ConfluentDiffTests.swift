import CanonCore
@testable import CanonJSONSchema
import CanonTestSupport
import Foundation
import Testing

/// Confluent's JSON Schema diff fixtures (json-schema-provider's test resources, Confluent Community
/// License: read from ../shared/testdata/jsonschema/confluent, never copied): for each case, the
/// differences from the original (earlier) schema to the update (new) one, exactly and in order, and the
/// verdict under the STRICT and LENIENT compatible sets.
@Suite struct ConfluentDiffTests {
    static let folder = TestData.shared.appendingPathComponent("testdata/jsonschema/confluent")

    static func cases(_ file: String) throws -> [JSONValue] {
        var text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
        // diff-schema-examples-2020-12.json has one trailing comma (SOURCES.md): Jackson reads it, RFC 8259 does not.
        text = text.replacingOccurrences(of: #",\s*\}"#, with: "}", options: .regularExpression)
        guard case .array(let cases) = try JSONReader.parse(text) else { return [] }
        return cases
    }

    @Test(arguments: [
        "diff-schema-examples.json", "diff-schema-examples-2020-12.json", "diff-combined-schema-examples.json",
        "diff-combined-schema-examples-2020-12.json",
    ])
    func everyCaseHasConfluentsDifferencesAndVerdicts(file: String) throws {
        var failures: [String] = []
        let cases = try Self.cases(file)
        // SOURCES.md's counts: every case is read and run.
        let expectedCount = [
            "diff-schema-examples.json": 104, "diff-schema-examples-2020-12.json": 113, "diff-combined-schema-examples.json": 28,
            "diff-combined-schema-examples-2020-12.json": 18,
        ][file]
        #expect(cases.count == expectedCount)
        var run = 0
        for testCase in cases {
            guard let original = testCase["original_schema"], let update = testCase["update_schema"],
                case .array(let expected)? = testCase["changes"], case .bool(let compatible)? = testCase["compatible"]
            else { continue }
            let lenient = testCase["compatible_lenient"].flatMap { if case .bool(let b) = $0 { b } else { nil } } ?? compatible
            let description = testCase["description"]?.stringValue ?? ""
            let differences: [JSONSchemaDiff.Difference]
            do {
                differences = try JSONSchemaDiff.compare(original: original, update: update)
            } catch {
                failures.append("\(description): \(error)")
                continue
            }
            run += 1
            let got = differences.map(\.text)
            let want = expected.compactMap(\.stringValue)
            if got != want { failures.append("\(description):\n    want \(want)\n    got  \(got)") }
            if JSONSchemaDiff.isCompatible(differences, policy: .strict) != compatible {
                failures.append("\(description): strict verdict should be \(compatible)")
            }
            if JSONSchemaDiff.isCompatible(differences, policy: .lenient) != lenient {
                failures.append("\(description): lenient verdict should be \(lenient)")
            }
        }
        #expect(run == cases.count, "every case has its schemas, changes and verdict")
        #expect(failures.isEmpty, "\(cases.count - failures.count) of \(cases.count) pass:\n\(failures.joined(separator: "\n"))")
    }
}
