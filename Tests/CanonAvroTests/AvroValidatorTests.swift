import CanonAvro
import CanonCore
import CanonTestSupport
import Foundation
import Testing

/// The compiled validator accepts exactly what the schema walk (`AvroSchema.validate`) accepts, with the
/// same errors: on fastavro's random datums for rich schemas, on thousands of mutations of them, and
/// under tight limits.
@Suite struct AvroValidatorTests {
    static var schemaFiles: [String] { FastavroInteropTests.schemaFiles }

    /// Both verdicts, as the error each gives (nil: accepted).
    static func verdicts(_ validator: AvroValidator, _ bytes: [UInt8], limits: AvroDecodingLimits = .default) -> (
        compiled: AvroError?, walked: AvroError?
    ) {
        var compiled: AvroError?, walked: AvroError?
        do { try validator.validate(bytes, limits: limits) } catch { compiled = error }
        do { try validator.schema.validate(bytes, limits: limits) } catch { walked = error }
        return (compiled, walked)
    }

    @Test(arguments: schemaFiles)
    func agreesWithTheSchemaWalkOnValidAndMutatedDatums(_ schemaFile: String) throws {
        let schema = try AvroSchema(parsing: TestData.text(URL(fileURLWithPath: schemaFile)))
        let validator = AvroValidator(schema)
        let generated = try avroPeer(["generate", "--schema", schemaFile, "--count", "150", "--seed", "20261127"])
        var rng = SplitMix64(state: 77)
        var mutations = 0, refused = 0
        for line in generated.split(separator: "\n") {
            let bytes = TestData.hexBytes(try #require(JSONReader.parse(String(line))["hex"]?.stringValue))
            let valid = Self.verdicts(validator, bytes)
            #expect(valid.compiled == nil && valid.walked == nil, "\(schemaFile): \(String(describing: valid.compiled))")
            for _ in 0..<12 {
                var m = bytes
                switch rng.below(5) {
                case 0 where !m.isEmpty: m[rng.below(m.count)] ^= UInt8(1 << rng.below(8))
                case 1 where !m.isEmpty: m[rng.below(m.count)] = rng.byte()
                case 2 where !m.isEmpty: m.removeLast(1 + rng.below(min(m.count, 4)))
                case 3: m.append(rng.byte())
                default: if !m.isEmpty { m.insert(rng.byte(), at: rng.below(m.count)) }
                }
                let (compiled, walked) = Self.verdicts(validator, m)
                #expect(
                    compiled == walked,
                    "\(schemaFile): mutation \(TestData.hex(m)): compiled \(String(describing: compiled)), walked \(String(describing: walked))"
                )
                mutations += 1
                if walked != nil { refused += 1 }
            }
        }
        #expect(mutations >= 1000 && refused > mutations / 4)
    }

    @Test func recursionAndTightLimitsGiveTheSameVerdicts() throws {
        let schema = try AvroSchema(
            parsing:
                #"{"type":"record","name":"Node","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","Node"]},{"name":"kids","type":{"type":"array","items":"Node"}}]}"#
        )
        let validator = AvroValidator(schema)
        // A chain of `n` nodes through `next`.
        func chain(_ n: Int) -> [UInt8] {
            var out: [UInt8] = []
            for _ in 0..<(n - 1) { out += [0x02, 0x02] }  // v = 1, next: branch 1
            out += [0x02, 0x00, 0x00]  // the last: v = 1, next null, no kids
            out += [UInt8](repeating: 0x00, count: n - 1)  // the kids of the others
            return out
        }
        for n in [1, 2, 10, 100, 300] {
            for depth in [3, 50, 256, 512] {
                let limits = AvroDecodingLimits(maxDepth: depth)
                let (compiled, walked) = Self.verdicts(validator, chain(n), limits: limits)
                #expect(compiled == walked, "n \(n), maxDepth \(depth)")
            }
        }
        // Kids inside kids, with a block that declares its byte size.
        var w = AvroBinaryWriter()
        w.writeInt(1); w.writeLong(0)  // v, next = null
        w.writeLong(-1); w.writeLong(3)  // one kid in a block of 3 bytes
        w.writeInt(2); w.writeLong(0); w.writeLong(0)  // the kid: v, null, no kids
        w.writeLong(0)
        #expect(Self.verdicts(validator, w.bytes) == (nil, nil))
        var wrongSize = w.bytes
        wrongSize[3] = 0x08  // declares 4 bytes
        let (compiled, walked) = Self.verdicts(validator, wrongSize)
        #expect(compiled != nil && compiled == walked)
    }
}

extension AvroValidatorTests {
    /// The uuid check takes exactly the 8-4-4-4-12 hex form: every byte value at every position.
    @Test func uuidStringsAreCheckedCharacterByCharacter() throws {
        let schema = try AvroSchema(parsing: #"{"type":"string","logicalType":"uuid"}"#)
        let validator = AvroValidator(schema)
        let good = Array("3F2b8c1e-9a4d-4e7b-8c2f-1a5d6e7f8091".utf8)
        func datum(_ text: [UInt8]) -> [UInt8] { [UInt8(text.count * 2)] + text }
        #expect(Self.verdicts(validator, datum(good)) == (nil, nil))
        let hex = Set(Array("0123456789abcdefABCDEF".utf8))
        for position in 0..<36 {
            for byte in 0...255 {
                var text = good
                text[position] = UInt8(byte)
                let isDash = [8, 13, 18, 23].contains(position)
                let shouldPass = isDash ? byte == 0x2D : hex.contains(UInt8(byte))
                let (compiled, walked) = Self.verdicts(validator, datum(text))
                #expect((compiled == nil) == shouldPass && (walked == nil) == shouldPass, "byte \(byte) at \(position)")
            }
        }
    }
}
