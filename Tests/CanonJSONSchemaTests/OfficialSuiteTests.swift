import CanonCore
import CanonJSONSchema
import CanonTestSupport
import Foundation
import Testing

/// JSON-Schema-Test-Suite (json-schema-org, MIT; read from ../shared/testdata/jsonschema): every
/// required test of drafts 4, 6, 7, 2019-09 and 2020-12, with the suite's remote documents served under
/// `http://localhost:1234/` from its `remotes/` folder (no network).
@Suite struct OfficialSuiteTests {
    static let suite = TestData.shared.appendingPathComponent("testdata/jsonschema/json-schema-test-suite")

    /// Every remote document by the URI the suite gives it.
    static let remotes: [String: JSONValue] = {
        var out: [String: JSONValue] = [:]
        let root = suite.appendingPathComponent("remotes")
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return out }
        for case let url as URL in walker where url.pathExtension == "json" {
            let relative = url.path.dropFirst(root.path.count + 1)
            if let data = try? Data(contentsOf: url), let value = try? JSONReader.parse(bytes: Array(data)) {
                out["http://localhost:1234/\(relative)"] = value
            }
        }
        return out
    }()

    /// Tests known to fail, by `file: group / test`, each with its reason (the README lists them).
    static let knownFailures: [String: String] = [:]

    struct Outcome {
        var passed = 0
        var failed: [String] = []
    }

    static func run(_ folder: String, _ draft: JSONSchemaDraft, assertFormats: Bool = false) throws -> Outcome {
        let directory = suite.appendingPathComponent("tests/\(folder)")
        var outcome = Outcome()
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }.sorted()
        var options = JSONSchemaValidator.Options()
        options.defaultDraft = draft
        options.documents = remotes
        options.assertsFormats = assertFormats
        for file in files {
            let groups = try JSONReader.parse(bytes: Array(try Data(contentsOf: directory.appendingPathComponent(file))))
            guard case .array(let list) = groups else { continue }
            for group in list {
                let name = "\(folder)/\(file): \(group["description"]?.stringValue ?? "")"
                guard case .array(let tests)? = group["tests"], let schema = group["schema"] else { continue }
                let validator: JSONSchemaValidator
                do {
                    validator = try JSONSchemaValidator(schema: schema, options: options)
                } catch {
                    for test in tests { outcome.failed.append("\(name) / \(test["description"]?.stringValue ?? ""): compile: \(error)") }
                    continue
                }
                for test in tests {
                    guard let data = test["data"], case .bool(let valid)? = test["valid"] else { continue }
                    let failure = validator.validate(data)
                    if (failure == nil) == valid {
                        outcome.passed += 1
                    } else {
                        outcome.failed.append(
                            "\(name) / \(test["description"]?.stringValue ?? ""): expected \(valid ? "valid" : "invalid")\(failure.map { ", got \($0)" } ?? "")"
                        )
                    }
                }
            }
        }
        return outcome
    }

    @Test(arguments: [
        ("draft4", JSONSchemaDraft.draft4), ("draft6", .draft6), ("draft7", .draft7), ("draft2019-09", .draft2019_09),
        ("draft2020-12", .draft2020_12),
    ])
    func everyRequiredTestPasses(folder: String, draft: JSONSchemaDraft) throws {
        let outcome = try Self.run(folder, draft)
        // The suite's sizes (SOURCES.md): 4,942 tests in all.
        let size = ["draft4": 618, "draft6": 839, "draft7": 927, "draft2019-09": 1259, "draft2020-12": 1299][folder]
        #expect(outcome.passed + outcome.failed.count == size)
        let unexpected = outcome.failed.filter { failure in !Self.knownFailures.keys.contains { failure.hasPrefix($0) } }
        #expect(unexpected.isEmpty, "\(outcome.passed) passed, \(outcome.failed.count) failed:\n\(unexpected.joined(separator: "\n"))")
    }
}

/// The suite's `optional/format` tests with `format` asserted.
@Suite struct FormatAssertionTests {
    /// Format tests that fail, with the reason (the README lists them).
    static let knownFailures: [String: String] = [
        "draft7/optional/format/ecmascript-regex.json: ECMA 262 lookbehind is valid, including variable width / a variable-width lookbehind":
            "ICU's lookbehind must have a bounded length; ECMA-262 (ES2018) allows any",
        "draft2020-12/optional/format/ecmascript-regex.json: ECMA 262 lookbehind is valid, including variable width / a variable-width lookbehind":
            "ICU's lookbehind must have a bounded length; ECMA-262 (ES2018) allows any",
    ]

    @Test(arguments: [("draft7/optional/format", JSONSchemaDraft.draft7), ("draft2020-12/optional/format", .draft2020_12)])
    func formatsAreAssertedWhenAsked(folder: String, draft: JSONSchemaDraft) throws {
        let outcome = try OfficialSuiteTests.run(folder, draft, assertFormats: true)
        let unexpected = outcome.failed.filter { failure in !Self.knownFailures.keys.contains { failure.hasPrefix($0) } }
        #expect(unexpected.isEmpty, "\(outcome.passed) passed, \(outcome.failed.count) failed:\n\(unexpected.joined(separator: "\n"))")
    }
}
