import CanonAvro
import CanonCore
import CanonTestSupport
import Foundation
import Testing

/// The validator agrees with the generic decoder (`AvroSchema.decode`, which reads values with the
/// same ``AvroBinaryReader`` but builds them and knows nothing of the program): what one refuses the
/// other refuses at the same byte with the same error, on fastavro's random datums for rich schemas, on
/// thousands of mutations of them, and under tight limits. The only difference allowed is validation's
/// strictness beyond the encoding (uuid text, decimal precision, a block's declared byte size).
@Suite struct AvroDatumValidatorTests {
    static var schemaFiles: [String] { FastavroInteropTests.schemaFiles }

    /// Both verdicts, as the error each gives (nil: accepted).
    static func verdicts(_ validator: AvroDatumValidator, _ bytes: [UInt8], limits: AvroDecodingLimits = .default) -> (
        validated: AvroError?, decoded: AvroError?
    ) {
        var validated: AvroError?, decoded: AvroError?
        do { try validator.validate(bytes, limits: limits) } catch { validated = error }
        do { _ = try validator.schema.decode(bytes, limits: limits) } catch { decoded = error }
        return (validated, decoded)
    }

    /// Whether the validator's verdict is the decoder's, or stricter by one of its logical-type or
    /// block-size rules.
    static func agree(_ verdicts: (validated: AvroError?, decoded: AvroError?)) -> Bool {
        switch verdicts {
        case (nil, nil): return true
        case (nil, _?): return false
        case (let v?, let d):
            if ["UUID", "digits", "block byte size", "a decimal needs"].contains(where: { v.message.contains($0) }) { return true }
            guard let d else { return false }
            return v.code == d.code && v.message == d.message && v.location.byteOffset == d.location.byteOffset
        }
    }

    @Test(arguments: schemaFiles)
    func agreesWithTheDecoderOnValidAndMutatedDatums(_ schemaFile: String) throws {
        let schema = try AvroSchema(parsing: TestData.text(URL(fileURLWithPath: schemaFile)))
        let validator = AvroDatumValidator(schema)
        let generated = try avroPeer(["generate", "--schema", schemaFile, "--count", "150", "--seed", "20261127"])
        var rng = SplitMix64(state: 77)
        var mutations = 0, refused = 0
        for line in generated.split(separator: "\n") {
            let bytes = TestData.hexBytes(try #require(JSONReader.parse(String(line))["hex"]?.stringValue))
            let valid = Self.verdicts(validator, bytes)
            #expect(valid.validated == nil && valid.decoded == nil, "\(schemaFile): \(String(describing: valid.validated))")
            for _ in 0..<12 {
                var m = bytes
                switch rng.below(5) {
                case 0 where !m.isEmpty: m[rng.below(m.count)] ^= UInt8(1 << rng.below(8))
                case 1 where !m.isEmpty: m[rng.below(m.count)] = rng.byte()
                case 2 where !m.isEmpty: m.removeLast(1 + rng.below(min(m.count, 4)))
                case 3: m.append(rng.byte())
                default: if !m.isEmpty { m.insert(rng.byte(), at: rng.below(m.count)) }
                }
                let verdicts = Self.verdicts(validator, m)
                #expect(
                    Self.agree(verdicts),
                    "\(schemaFile): mutation \(TestData.hex(m)): validated \(String(describing: verdicts.validated)), decoded \(String(describing: verdicts.decoded))"
                )
                mutations += 1
                if verdicts.validated != nil { refused += 1 }
            }
        }
        #expect(mutations >= 1000 && refused > mutations / 4)
    }

    @Test func recursionAndTightLimitsGiveTheDecodersVerdicts() throws {
        let schema = try AvroSchema(
            parsing:
                #"{"type":"record","name":"Node","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","Node"]},{"name":"kids","type":{"type":"array","items":"Node"}}]}"#
        )
        let validator = AvroDatumValidator(schema)
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
                let verdicts = Self.verdicts(validator, chain(n), limits: limits)
                #expect(
                    Self.agree(verdicts) && (verdicts.decoded == nil) == (verdicts.validated == nil),
                    "n \(n), maxDepth \(depth): \(verdicts)")
            }
        }
        // Too deep: the container entered past the limit is named, inside the recursion.
        let tooDeep = Self.verdicts(validator, chain(10), limits: AvroDecodingLimits(maxDepth: 3)).validated
        #expect(tooDeep?.message == "nesting deeper than 3 levels" && tooDeep?.location.byteOffset == 3)
        #expect(tooDeep?.location.jsonPath == "/fields/1/type/1/fields/1/type")
        // Kids inside kids, with a block that declares its byte size.
        var w = AvroBinaryWriter()
        w.writeInt(1); w.writeLong(0)  // v, next = null
        w.writeLong(-1); w.writeLong(3)  // one kid in a block of 3 bytes
        w.writeInt(2); w.writeLong(0); w.writeLong(0)  // the kid: v, null, no kids
        w.writeLong(0)
        #expect(Self.verdicts(validator, w.bytes) == (nil, nil))
        var wrongSize = w.bytes
        wrongSize[3] = 0x08  // declares 4 bytes
        let error = Self.verdicts(validator, wrongSize).validated
        #expect(error?.message.contains("block byte size") == true && error?.location.byteOffset == 2)
        #expect(error?.location.jsonPath == "/fields/2/type")
    }
}

extension AvroDatumValidatorTests {
    /// The uuid check takes exactly the 8-4-4-4-12 hex form: every byte value at every position.
    @Test func uuidStringsAreCheckedCharacterByCharacter() throws {
        let schema = try AvroSchema(parsing: #"{"type":"string","logicalType":"uuid"}"#)
        let validator = AvroDatumValidator(schema)
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
                #expect((Self.verdicts(validator, datum(text)).validated == nil) == shouldPass, "byte \(byte) at \(position)")
            }
        }
    }
}

extension AvroDatumValidatorTests {
    /// T_i has two fields of type T_{i-1}: inlining every use would make a program of 2^40 instructions.
    /// Past its budget the compiler calls records instead, so the validator is built at once and checks
    /// a datum of a shallower chain exactly as the decoder does.
    static func sharedChain(_ levels: Int) -> String {
        var text = #"{"type":"record","name":"T0","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"}]}"#
        for i in 1...levels {
            text = #"{"type":"record","name":"T\#(i)","fields":[{"name":"a","type":\#(text)},{"name":"b","type":"T\#(i - 1)"}]}"#
        }
        return text
    }

    @Test func recordsUsedManyTimesAreCalledOnceTheProgramIsLarge() throws {
        let deep = try AvroSchema(parsing: Self.sharedChain(40))
        let validator = AvroDatumValidator(deep)
        #expect(throws: AvroError.self) { try validator.validate([0x02]) }

        // 2^14 leaves: past the budget, partly inlined and partly called.
        let schema = try AvroSchema(parsing: Self.sharedChain(14))
        let wide = AvroDatumValidator(schema)
        var w = AvroBinaryWriter()
        for i in 0..<(1 << 14) {
            w.writeInt(Int32(i))
            w.writeString("x")
        }
        #expect(Self.verdicts(wide, w.bytes) == (nil, nil))
        var bad = w.bytes
        bad[bad.count - 1] = 0xFF  // the last string's byte is not UTF-8
        let verdicts = Self.verdicts(wide, bad)
        #expect(verdicts.validated != nil && Self.agree(verdicts))
        #expect(verdicts.validated?.location.jsonPath?.hasSuffix("/fields/1/type/fields/1/type") == true)
    }
}

extension AvroDatumValidatorTests {
    /// The reader's public skips refuse, rather than read past the input or move backwards.
    @Test func publicSkipsStayWithinTheInput() throws {
        let error = AvroBinaryReader.withReader([0x01, 0x02]) { (r: inout AvroBinaryReader) -> AvroError? in
            do throws(AvroError) {
                try r.skipDecimal(length: 3, precision: 9)
                return nil
            } catch { return error }
        }
        #expect(error?.code == .truncated)
        let negative = AvroBinaryReader.withReader([0x01]) { (r: inout AvroBinaryReader) -> AvroError? in
            do throws(AvroError) {
                try r.skipFixed(-1)
                return nil
            } catch { return error }
        }
        #expect(negative?.code == .truncated)
    }
}
