import CanonCore
import Testing

/// The one varint decoder at the edges of each width it is used with: 64 bits (Avro longs, Kafka
/// varlongs), 32 (Avro ints, Kafka varints) and 35 (Snappy's 5-byte length preamble).
@Suite struct VarintTests {
    /// The value and where the decoder stopped.
    static func decode(_ bytes: [UInt8], bits: Int) -> (value: UInt64?, stop: Int) {
        var position = 0
        let value = bytes.withUnsafeBytes { Varint.decode($0, at: &position, bits: bits) }
        return (value, position)
    }

    @Test func encodingAndDecodingRoundTripEveryWidthsExtremes() {
        for v: Int64 in [0, -1, 1, 63, -64, 64, Int64(Int32.max), Int64(Int32.min), .max, .min] {
            var bytes: [UInt8] = []
            Varint.append(Varint.zigZag(v), to: &bytes)
            var position = 0
            #expect(bytes.withUnsafeBytes { Varint.decodeZigZag64($0, at: &position) } == v && position == bytes.count)
            if let small = Int32(exactly: v) {
                position = 0
                #expect(bytes.withUnsafeBytes { Varint.decodeZigZag32($0, at: &position) } == small && position == bytes.count)
            }
        }
    }

    @Test func theLastByteAWidthAllowsHoldsOnlyTheBitsLeft() {
        // 64 bits: ten bytes, the tenth at most 1.
        let nines = [UInt8](repeating: 0xFF, count: 9)
        #expect(Self.decode(nines + [0x01], bits: 64) == (UInt64.max, 10))
        #expect(Self.decode(nines + [0x02], bits: 64) == (nil, 9))
        #expect(Self.decode(nines + [0x81, 0x00], bits: 64) == (nil, 9))
        // 32 bits: five bytes, the fifth at most 0x0F.
        let fours = [UInt8](repeating: 0xFF, count: 4)
        #expect(Self.decode(fours + [0x0F], bits: 32) == (UInt64(UInt32.max), 5))
        #expect(Self.decode(fours + [0x10], bits: 32) == (nil, 4))
        // 35 bits: five bytes of seven bits each, no sixth (not even an overlong zero).
        #expect(Self.decode(fours + [0x7F], bits: 35) == ((1 << 35) - 1, 5))
        #expect(Self.decode(fours + [0xFF, 0x00], bits: 35) == (nil, 5))
    }

    @Test func bytesThatEndInsideAVarintStopAtTheEnd() {
        #expect(Self.decode([], bits: 64) == (nil, 0))
        #expect(Self.decode([0x80], bits: 64) == (nil, 1))
        #expect(Self.decode([0x80, 0x80, 0x80], bits: 32) == (nil, 3))
        // Overlong but within the width: accepted, as Avro and Kafka readers accept it.
        #expect(Self.decode([0x80, 0x00], bits: 32) == (0, 2))
    }
}
