import CanonCore
import CanonTestSupport
import Foundation
import Testing

@testable import CanonXSD

/// Apicurio Registry's XSD fixtures (`../shared/testdata/xsd/apicurio`): its 20 compatibility cases at
/// their levels, and its 3 validity cases.
struct ApicurioCasesTests {
    static let folder = TestData.shared.appendingPathComponent("testdata/xsd/apicurio")

    struct Case: Sendable, CustomTestStringConvertible {
        var id: String
        var level: String
        var existing: [String]
        var proposed: String
        var compatible: Bool
        var testDescription: String { id }
    }

    static let cases: [Case] = {
        guard let data = try? Data(contentsOf: folder.appendingPathComponent("xsd-compatibility-cases.json")),
            let index = try? JSONReader.parse(bytes: Array(data)), case .array(let entries) = index["cases"]
        else { return [] }
        var cases: [Case] = []
        for entry in entries {
            var existing: [String] = []
            if case .array(let names) = entry["existing"] { existing = names.compactMap(\.stringValue) }
            cases.append(
                Case(
                    id: entry["id"]?.stringValue ?? "", level: entry["level"]?.stringValue ?? "", existing: existing,
                    proposed: entry["proposed"]?.stringValue ?? "", compatible: entry["expected_compatible"] == .bool(true)))
        }
        return cases
    }()

    static func parse(_ path: String) throws -> any ParsedSchema {
        try XSDFormat().makeParser().parse(try String(contentsOf: folder.appendingPathComponent(path), encoding: .utf8))
    }

    @Test func theIndexHasTwentyCases() {
        #expect(Self.cases.count == 20)
    }

    @Test(arguments: cases)
    func compatibilityAgreesWithApicurio(_ c: Case) throws {
        let level = try #require(CompatibilityLevel(rawValue: c.level))
        let result = try level.check(
            try Self.parse(c.proposed), against: try c.existing.map(Self.parse),
            using: SchemaCompatibilityChecker(formats: SchemaFormats([XSDFormat()])))
        #expect(result.isCompatible == c.compatible, "\(c.id): \(result.messages)")
    }

    /// Soundness on every ordered pair of Apicurio's 11 schemas: where Canon says the reader reads the
    /// writer's documents, none of the fixture's 18 sample documents is valid under the writer and
    /// refused by the reader (libxml2 judges them).
    @Test func noSampleDocumentContradictsACompatibleVerdict() throws {
        let data = try Data(contentsOf: Self.folder.appendingPathComponent("xsd-compatibility-cases.json"))
        let index = try JSONReader.parse(bytes: Array(data))
        guard case .array(let samples) = index["sample_instances"] else {
            Issue.record("no sample_instances")
            return
        }
        let documents = samples.compactMap(\.stringValue).map { Array($0.utf8) }
        #expect(documents.count == 18)
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.appendingPathComponent("compatibility").path)
            .filter { $0.hasSuffix(".xsd") }.sorted()
        #expect(files.count == 11)
        let format = XSDFormat()
        var schemas: [(parsed: any ParsedSchema, compiled: CompiledSchema)] = []
        for file in files {
            let text = try String(contentsOf: Self.folder.appendingPathComponent("compatibility/\(file)"), encoding: .utf8)
            schemas.append((try format.makeParser().parse(text), try CompiledSchema(text: text)))
        }
        var compatiblePairs = 0
        for (w, writer) in schemas.enumerated() {
            for (r, reader) in schemas.enumerated() {
                let messages = try format.incompatibilities(
                    reader: reader.parsed, writer: writer.parsed, readerRole: .new, budget: 100_000, policy: nil)
                guard messages.isEmpty else { continue }
                compatiblePairs += 1
                for document in documents where try writer.compiled.validityErrors(document).isEmpty {
                    #expect(
                        try reader.compiled.validityErrors(document).isEmpty,
                        "\(files[w]) -> \(files[r]) judged compatible, but \(String(decoding: document, as: UTF8.self)) is refused")
                }
            }
        }
        // Not a vacuous check: the identical pairs and the widening ones are among them.
        #expect(compatiblePairs > 11, "\(compatiblePairs)")
    }

    @Test(arguments: ["xml-schema-valid.xsd", "xml-schema-invalid-semantics.xsd", "xml-schema-invalid-syntax.xsd"])
    func validityAgreesWithApicurio(_ file: String) throws {
        let text = try String(contentsOf: Self.folder.appendingPathComponent("validity/\(file)"), encoding: .utf8)
        do {
            _ = try XSDFormat().makeParser().parse(text)
            #expect(file == "xml-schema-valid.xsd")
        } catch let error as XSDError {
            #expect(file != "xml-schema-valid.xsd", "\(error)")
            // Errors say where.
            #expect(error.line != nil, "\(error)")
        }
    }
}
