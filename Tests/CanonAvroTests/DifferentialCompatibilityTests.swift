import CanonAvro
import CanonCore
import CanonTestSupport
import Foundation
import Testing

/// Differential test against real peers: `Tests/Interop/compat_peer.py` makes random schemas and random
/// evolutions of them (fields added and removed with and without defaults, types widened and narrowed,
/// renames with and without aliases, enum symbols and union branches added and removed, nesting) with a
/// fixed seed. Canon's verdict must equal the Apache `avro` package's checker on every pair, and where
/// both say compatible, Canon's resolved read of the writer's data must equal fastavro's.
@Suite struct DifferentialCompatibilityTests {
    /// Fixed in CI; `CANON_DIFF_SEED` and `CANON_DIFF_COUNT` explore other seeds (a failure prints its seed).
    static let seed = ProcessInfo.processInfo.environment["CANON_DIFF_SEED"].flatMap { Int($0) } ?? 20_261_126
    static let count = ProcessInfo.processInfo.environment["CANON_DIFF_COUNT"].flatMap { Int($0) } ?? 3000

    static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            return x.count == y.count && zip(x.members, y.members).allSatisfy { $0.key == $1.key && same($0.value, $1.value) }
        case (.array(let x), .array(let y)):
            return x.count == y.count && zip(x, y).allSatisfy(same)
        default:
            // Numbers by value (the peer renders an int or long read as float at single precision, as Canon).
            if let x = a.doubleValue, let y = b.doubleValue { return x == y }
            return a == b
        }
    }

    @Test func verdictsAndResolvedReadsMatchThePythonPeers() throws {
        let output = try avroPeer(["generate", "--count", String(Self.count), "--seed", String(Self.seed)], script: "compat_peer.py")
        var pairs = 0, compatible = 0, datums = 0
        for (i, line) in output.split(separator: "\n").enumerated() {
            let row = try JSONReader.parse(String(line))
            let writer = try AvroSchema(parsing: row["writer"]!.jsonText)
            let reader = try AvroSchema(parsing: row["reader"]!.jsonText)
            let expected = row["compatible"] == .bool(true)
            let found = try reader.incompatibilities(readingDataWrittenWith: writer)
            pairs += 1
            #expect(
                found.isEmpty == expected,
                "seed \(Self.seed) pair \(i): Python avro says \(expected), Canon \(found)\n writer \(writer.fullRendering)\n reader \(reader.fullRendering)"
            )
            guard expected, found.isEmpty else { continue }
            compatible += 1
            let resolver = try AvroResolver(writer: writer, reader: reader)
            guard case .array(let data)? = row["data"] else { continue }
            for d in data {
                guard let hex = d["hex"]?.stringValue, let resolvedText = d["resolved"]?.stringValue else { continue }
                datums += 1
                let value: AvroValue
                do {
                    value = try resolver.decode(TestData.hexBytes(hex))
                } catch {
                    Issue.record(
                        "seed \(Self.seed) pair \(i) datum \(hex): Canon cannot read what fastavro reads as \(resolvedText): \(error)\n writer \(writer.fullRendering)\n reader \(reader.fullRendering)"
                    )
                    continue
                }
                let mine = try AvroJSON.encode(value, schema: reader)
                let theirs = try JSONReader.parse(resolvedText)
                #expect(
                    Self.same(mine, theirs), "seed \(Self.seed) pair \(i) datum \(hex): Canon \(mine.jsonText) fastavro \(resolvedText)")
            }
        }
        #expect(pairs == Self.count)
        // The generator makes a real mix.
        #expect(compatible > pairs / 5 && compatible < pairs * 4 / 5)
        #expect(datums > pairs / 2)
    }
}
