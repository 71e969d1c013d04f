import CanonCore
import CanonTestSupport
import Foundation
import Testing

@testable import CanonXSD

/// Canon (libxml2) against an independent XML Schema engine, the pure-Python `xmlschema`: instances
/// generated from the schemas in `Tests/Interop/xsd` and mutated (`xsd_peer.py`) must be judged the
/// same way. `CANON_XSD_DIFF_COUNT` and `CANON_XSD_DIFF_SEED` change the run.
///
/// One disagreement is known, and xmlschema is right: libxml2 2.9.14 refuses a value of the bounded
/// integer built-ins (`int`, `long`, `short`, `byte` and the unsigned ones, and types restricting them)
/// with whitespace around it (`" 7 "`), though their `whiteSpace` facet is `collapse` (XML Schema 1.0
/// Part 2, 4.3.6): `integer`, `decimal` and `double` accept it. Canon refuses such records, which is the
/// safe side; the test counts them apart.
struct DifferentialTests {
    static let count = ProcessInfo.processInfo.environment["CANON_XSD_DIFF_COUNT"].flatMap { Int($0) } ?? 6000
    static let seed = ProcessInfo.processInfo.environment["CANON_XSD_DIFF_SEED"].flatMap { Int($0) } ?? 20_261_205

    // The peer runs on a thread of its own (pythonPeerDetached): blocking a thread of the cooperative pool
    // for seconds would stall the servers other tests run in this process.
    @Test func canonAndXmlschemaJudgeEveryGeneratedInstanceAlike() async throws {
        let folder = TestData.interopDirectory.appendingPathComponent("xsd")
        let output = try await pythonPeerDetached(
            "xsd_peer.py", ["generate", "--schemas", folder.path, "--count", "\(Self.count)", "--seed", "\(Self.seed)"])
        var schemas: [String: CompiledSchema] = [:]
        var judged = 0, valid = 0
        var disagreements: [String] = []
        var paddedIntegers = 0
        for line in output.split(separator: "\n") {
            let row = try JSONReader.parse(String(line))
            let name = try #require(row["schema"]?.stringValue), xml = try #require(row["xml"]?.stringValue)
            if schemas[name] == nil {
                schemas[name] = try CompiledSchema(text: try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8))
            }
            let errors = try schemas[name]!.validityErrors(Array(xml.utf8))
            let expected = row["valid"] == .bool(true)
            judged += 1
            if expected { valid += 1 }
            if expected, let first = errors.first, Self.isPaddedIntegerRefusal(first) {
                paddedIntegers += 1
            } else if errors.isEmpty != expected {
                disagreements.append(
                    "\(name) \(row["mutation"]?.stringValue ?? ""): xmlschema \(expected ? "valid" : "invalid"), Canon \(errors.first.map { "\($0)" } ?? "valid"): \(xml)"
                )
            }
        }
        #expect(judged == Self.count)
        // Both verdicts are well represented, so agreement means something.
        #expect(valid > Self.count / 4 && valid < Self.count * 3 / 4, "\(valid) of \(judged) valid")
        #expect(disagreements.isEmpty, "\(disagreements.count) disagreements:\n\(disagreements.prefix(20).joined(separator: "\n"))")
        // The known libxml2 refusal happens in this run (so the rule above is not a blanket excuse) and is rare.
        #expect(paddedIntegers > 0 && paddedIntegers < Self.count / 50, "\(paddedIntegers)")
    }

    /// libxml2 refusing a bounded integer only for the whitespace around it.
    static func isPaddedIntegerRefusal(_ error: XSDError) -> Bool {
        let bounded = ["int", "long", "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte"]
        guard error.message.contains("' 7 ' is not a valid value of the") else { return false }
        return error.message.contains("local atomic type") || bounded.contains { error.message.contains("'xs:\($0)'") }
    }
}

/// The compatibility checker against libxml2 itself: each schema of `Tests/Interop/xsd` and a random
/// edit of it (an occurrence, a facet, a type, an enumeration value, an element, an attribute's use, a
/// sequence made a choice), in either order, with documents generated from the writer. Where Canon
/// judges the pair compatible, every document libxml2 finds valid under the writer must be valid under
/// the reader. `CANON_XSD_EVOLVE_PAIRS` changes the run's size.
struct CompatibilitySoundnessTests {
    static let pairs = ProcessInfo.processInfo.environment["CANON_XSD_EVOLVE_PAIRS"].flatMap { Int($0) } ?? 300
    static let seed = ProcessInfo.processInfo.environment["CANON_XSD_DIFF_SEED"].flatMap { Int($0) } ?? 20_261_205

    @Test func everyPairJudgedCompatibleAcceptsTheWritersDocuments() async throws {
        let folder = TestData.interopDirectory.appendingPathComponent("xsd")
        let output = try await pythonPeerDetached(
            "xsd_peer.py", ["evolve", "--schemas", folder.path, "--pairs", "\(Self.pairs)", "--instances", "30", "--seed", "\(Self.seed)"])
        let format = XSDFormat()
        var compatible = 0, incompatible = 0, documents = 0
        var unsound: [String] = []
        for line in output.split(separator: "\n") {
            let row = try JSONReader.parse(String(line))
            let writerText = try #require(row["writer"]?.stringValue), readerText = try #require(row["reader"]?.stringValue)
            guard let writer = try? format.makeParser().parse(writerText), let reader = try? format.makeParser().parse(readerText) else {
                continue
            }
            let messages = try format.incompatibilities(reader: reader, writer: writer, readerRole: .new, budget: 2_000_000, policy: nil)
            guard messages.isEmpty else {
                incompatible += 1
                continue
            }
            compatible += 1
            let writerSchema = try CompiledSchema(text: writerText), readerSchema = try CompiledSchema(text: readerText)
            guard case .array(let instances)? = row["instances"] else { continue }
            for instance in instances.compactMap(\.stringValue) {
                let bytes = Array(instance.utf8)
                guard try writerSchema.validityErrors(bytes).isEmpty else { continue }
                documents += 1
                if let error = try readerSchema.validityErrors(bytes).first {
                    unsound.append(
                        "\(row["change"]?.stringValue ?? ""): \(error)\nwriter: \(writerText)\nreader: \(readerText)\ndocument: \(instance)"
                    )
                    break
                }
            }
        }
        print(
            "XSD compatibility soundness: \(compatible) pairs judged compatible, \(incompatible) not; \(documents) writer documents checked"
        )
        #expect(
            unsound.isEmpty,
            "\(unsound.count) pairs judged compatible refuse a writer document:\n\(unsound.prefix(3).joined(separator: "\n\n"))")
        // Both verdicts are well represented, and many documents were checked.
        #expect(compatible > Self.pairs / 5 && incompatible > Self.pairs / 5, "\(compatible) compatible, \(incompatible) not")
        #expect(documents > compatible * 10, "\(documents)")
    }
}
