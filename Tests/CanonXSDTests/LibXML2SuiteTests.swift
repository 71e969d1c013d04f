import CanonCore
import CanonTestSupport
import Foundation
import Testing

@testable import CanonXSD

/// libxml2's own XML Schema regression cases (`../shared/testdata/xsd/libxml2`): 60 schema/instance
/// pairs, valid, invalid and schema errors, each judged as libxml2's expected output says.
struct LibXML2SuiteTests {
    static let folder = TestData.shared.appendingPathComponent("testdata/xsd/libxml2")

    struct Case: Sendable, CustomTestStringConvertible {
        var id: String
        var schema: String
        var instance: String
        var dependencies: [String]
        var expected: String
        var testDescription: String { id }
    }

    static let cases: [Case] = {
        guard let data = try? Data(contentsOf: folder.appendingPathComponent("libxml2-validation-index.json")),
            let index = try? JSONReader.parse(bytes: Array(data))
        else { return [] }
        var cases: [Case] = []
        guard case .array(let entries) = index["cases"] else { return [] }
        for entry in entries {
            var dependencies: [String] = []
            if case .array(let names) = entry["schema_dependencies"] { dependencies = names.compactMap(\.stringValue) }
            cases.append(
                Case(
                    id: entry["id"]?.stringValue ?? "", schema: entry["schema"]?.stringValue ?? "",
                    instance: entry["instance"]?.stringValue ?? "", dependencies: dependencies,
                    expected: entry["expected_result"]?.stringValue ?? ""))
        }
        return cases
    }()

    @Test func theIndexHasSixtyCases() {
        #expect(Self.cases.count == 60)
    }

    @Test(arguments: cases)
    func agreesWithLibXML2sExpectedResult(_ c: Case) throws {
        let text = try String(contentsOf: Self.folder.appendingPathComponent(c.schema), encoding: .utf8)
        var references: [String: String] = [:]
        for dependency in c.dependencies {
            // A reference's name is the schemaLocation the schema uses: here, the file's name.
            let url = Self.folder.appendingPathComponent(dependency)
            references[url.lastPathComponent] = try String(contentsOf: url, encoding: .utf8)
        }
        let schema: CompiledSchema
        do {
            schema = try CompiledSchema(text: text, references: references)
        } catch {
            #expect(c.expected == "schema-error", "\(c.id): the schema was refused: \(error)")
            return
        }
        #expect(c.expected != "schema-error", "\(c.id): the schema should have been refused")
        let instance = Array(try Data(contentsOf: Self.folder.appendingPathComponent(c.instance)))
        let errors = try schema.validityErrors(instance)
        #expect(errors.isEmpty == (c.expected == "valid"), "\(c.id): expected \(c.expected), got \(errors)")
    }
}
