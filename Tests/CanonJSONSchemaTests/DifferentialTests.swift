import CanonCore
import CanonJSONSchema
import CanonTestSupport
import Foundation
import Testing

/// Canon's verdicts against Python `jsonschema` 4 (Draft7Validator, Draft202012Validator), the reference
/// implementation, on instances built from a set of schemas and mutated at random
/// (`Tests/Interop/jsonschema_peer.py`): at least 10,000 per draft, every verdict equal. (The peer's
/// `multipleOf` divides decimals, not binary floats: jsonschema's own says 0.07 is no multiple of 0.01.)
/// Needs `python3` with `jsonschema` (`.ci/run` and `scripts/test` install it).
@Suite struct DifferentialTests {
    @Test(arguments: [("7", JSONSchemaDraft.draft7, "draft7.json"), ("2020-12", .draft2020_12, "draft2020-12.json")])
    func verdictsEqualPythonJSONSchemas(draft: String, _ defaultDraft: JSONSchemaDraft, file: String) throws {
        let schemasURL = TestData.interopDirectory.appendingPathComponent("jsonschema/\(file)")
        let schemasText = try Data(contentsOf: schemasURL)
        guard case .array(let schemas) = try JSONReader.parse(bytes: Array(schemasText)) else { Issue.record("no schemas"); return }
        let perSchema = 10_000 / schemas.count + 1
        let output = try avroPeer(["generate", draft, "20261205", "\(perSchema)"], input: Array(schemasText), script: "jsonschema_peer.py")
        var options = JSONSchemaValidator.Options()
        options.defaultDraft = defaultDraft
        let validators = try schemas.map { try JSONSchemaValidator(schema: $0, options: options) }
        var cases = 0, valid = 0
        var disagreements: [String] = []
        for line in output.split(separator: "\n") {
            guard case .array(let entry) = try JSONReader.parse(String(line)), entry.count == 3, let index = entry[0].int64Value,
                case .bool(let expected) = entry[2]
            else { Issue.record("bad peer line: \(line)"); continue }
            cases += 1
            if expected { valid += 1 }
            let failure = validators[Int(index)].validate(entry[1])
            if (failure == nil) != expected, disagreements.count < 20 {
                disagreements.append(
                    "schema \(index), \(entry[1].jsonText): jsonschema says \(expected), Canon \(failure.map { "\($0)" } ?? "valid")")
            }
        }
        #expect(cases >= 10_000)
        #expect(valid > cases / 5 && valid < cases * 4 / 5, "a useful mix of valid and invalid: \(valid) of \(cases)")
        #expect(disagreements.isEmpty, "\(disagreements.joined(separator: "\n"))")
    }
}
