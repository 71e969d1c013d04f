import CanonCore
/// The raw Snappy block format, written from Snappy's format description
/// (`format_description.txt` in google/snappy): this is the format of one
/// compressed block, not the Snappy framing (stream) format.
///
/// Avro object container files with the `snappy` codec store each data block as
/// one raw Snappy block followed by the big-endian CRC-32 of the uncompressed
/// data; the checksum is the caller's business, this type handles only the block.
///
/// A block is the uncompressed length as a little-endian base-128 varint (at most
/// five bytes, value below 2^32), then a sequence of elements. The low two bits of
/// each element's tag byte give its kind:
///
/// - `00` literal: the upper six bits hold `length - 1` for lengths up to 60;
///   the values 60, 61, 62 and 63 say that `length - 1` follows as a 1-, 2-, 3-
///   or 4-byte little-endian integer. The literal bytes come next.
/// - `01` copy with a 1-byte offset: length 4...11 (`length - 4` in bits 2...4),
///   an 11-bit offset whose upper three bits are bits 5...7 of the tag and whose
///   lower eight bits are the next byte.
/// - `10` copy with a 2-byte offset: length 1...64 (`length - 1` in the upper six
///   bits), then the offset as a little-endian 16-bit integer.
/// - `11` copy with a 4-byte offset: as `10`, with a 32-bit offset.
///
/// A copy repeats `length` bytes starting `offset` bytes back in the output; the
/// length may exceed the offset, which repeats the last `offset` bytes (run-length
/// encoding). An offset of zero, or one reaching before the start of the output,
/// is invalid.
package enum Snappy {
    /// The compressor matches within independent fragments of this many input bytes,
    /// so every copy offset it emits fits a 2-byte offset.
    private static let fragmentSize = 1 << 16

    /// The largest hash table the compressor uses has `1 << maxHashBits` slots.
    private static let maxHashBits = 14

    /// The smallest hash table the compressor uses has `1 << minHashBits` slots.
    private static let minHashBits = 8

    /// Compresses `input` into one raw Snappy block (varint uncompressed length, then literal/copy elements).
    ///
    /// The input is cut into 64 KiB fragments that are compressed independently.
    /// In each fragment a greedy matcher hashes the four bytes at the current
    /// position, looks up the last position with the same hash and, when those four
    /// bytes really match, extends the match as far as it goes and emits it as a
    /// copy (after a literal for the unmatched bytes before it). After a run of
    /// misses it advances in growing steps, so incompressible data is skipped
    /// quickly. The output decodes with any conforming Snappy decompressor.
    ///
    /// - Parameter input: The bytes to compress; at most `UInt32.max` of them, the
    ///   largest length the format's preamble can describe.
    /// - Returns: The compressed block; never longer than
    ///   `32 + input.count + input.count / 6` bytes.
    package static func compress(_ input: [UInt8]) -> [UInt8] {
        precondition(
            UInt64(input.count) <= UInt64(UInt32.max),
            "Snappy cannot describe an uncompressed length of \(input.count) bytes (the maximum is 2^32 - 1)")
        let capacity = 32 + input.count + input.count / 6

        var hashBits = minHashBits
        while hashBits < maxHashBits && (1 << hashBits) < min(input.count, fragmentSize) {
            hashBits += 1
        }
        var table = [UInt16](repeating: 0, count: 1 << hashBits)

        return input.withUnsafeBufferPointer { source in
            table.withUnsafeMutableBufferPointer { tableBuffer in
                [UInt8](unsafeUninitializedCapacity: capacity) { destination, initializedCount in
                    // `capacity` is at least 32, so the output buffer has an address.
                    var writer = BlockWriter(destination: destination.baseAddress!, capacity: capacity)
                    writer.writeVarint(UInt32(truncatingIfNeeded: input.count))
                    if let sourceBase = source.baseAddress, let tableBase = tableBuffer.baseAddress {
                        var fragmentStart = 0
                        while fragmentStart < input.count {
                            let fragmentCount = min(fragmentSize, input.count - fragmentStart)
                            compressFragment(
                                sourceBase + fragmentStart, count: fragmentCount,
                                table: tableBase, hashBits: hashBits, into: &writer)
                            fragmentStart += fragmentCount
                        }
                    }
                    initializedCount = writer.position
                }
            }
        }
    }

    /// Decompresses one raw Snappy block. Throws on any malformed input (truncated
    /// element, copy offset 0 or before the start of the output, length mismatch
    /// with the preamble, output larger than `maxOutputSize`) — never traps.
    ///
    /// - Parameters:
    ///   - input: Exactly one compressed block; trailing bytes after the last
    ///     element are decoded as elements too, so they must belong to the block.
    ///   - maxOutputSize: The largest uncompressed size accepted. A block whose
    ///     preamble declares more is rejected before anything is allocated.
    /// - Returns: The uncompressed bytes, exactly as many as the preamble declares.
    /// - Throws: `SnappyError`, whose `offset` is the position in `input` of the
    ///   preamble byte or element tag at fault (or `input.count` when the elements
    ///   end before producing the declared length).
    package static func decompress(_ input: [UInt8], maxOutputSize: Int) throws(SnappyError) -> [UInt8] {
        // Preamble: the uncompressed length, a little-endian base-128 varint.
        var position = 0
        // At most 5 bytes (35 bits); the value is checked against 2^32 - 1 below.
        let preamble = input.withUnsafeBytes { Varint.decode($0, at: &position, bits: 35) }
        guard let declaredLength = preamble else {
            if position >= input.count {
                throw SnappyError(message: "truncated uncompressed-length preamble", offset: position)
            }
            throw SnappyError(message: "uncompressed-length preamble longer than 5 bytes", offset: position)
        }
        guard declaredLength <= UInt64(UInt32.max) else {
            throw SnappyError(
                message: "uncompressed length \(declaredLength) in preamble exceeds 2^32 - 1", offset: 0)
        }
        guard declaredLength <= UInt64(max(maxOutputSize, 0)) else {
            throw SnappyError(
                message: "uncompressed length \(declaredLength) exceeds the limit of \(maxOutputSize) bytes",
                offset: 0)
        }
        // No element produces more than 64 output bytes per 3 input bytes (a
        // 2-byte-offset copy of length 64), so a larger claim is malformed; checking
        // it here avoids allocating a large buffer for a tiny bogus block.
        let elementBytes = input.count - position
        guard declaredLength <= UInt64(elementBytes) * 22 else {
            throw SnappyError(
                message: "uncompressed length \(declaredLength) is impossible for \(elementBytes) bytes of elements",
                offset: 0)
        }

        let outputCount = Int(declaredLength)
        let elementsStart = position
        var failure: SnappyError?
        let output = input.withUnsafeBufferPointer { source in
            [UInt8](unsafeUninitializedCapacity: outputCount) { destination, initializedCount in
                failure = decodeElements(
                    source, from: elementsStart, into: destination, initializedCount: &initializedCount)
            }
        }
        if let failure {
            throw failure
        }
        return output
    }

    // MARK: - Compression

    /// Appends elements to a preallocated output buffer.
    ///
    /// The buffer is sized by `compress` to the worst case, so writes never run out
    /// of room; each write still checks, so that a mistake would stop the program
    /// rather than write out of bounds.
    private struct BlockWriter {
        let destination: UnsafeMutablePointer<UInt8>
        let capacity: Int
        private(set) var position = 0

        init(destination: UnsafeMutablePointer<UInt8>, capacity: Int) {
            self.destination = destination
            self.capacity = capacity
        }

        @inline(__always)
        private mutating func reserve(_ count: Int) {
            precondition(count <= capacity - position, "Snappy output buffer too small")
        }

        @inline(__always)
        private mutating func writeByte(_ byte: UInt8) {
            destination[position] = byte
            position += 1
        }

        /// Writes `value` as a little-endian base-128 varint.
        mutating func writeVarint(_ value: UInt32) {
            reserve(5)
            Varint.encode(UInt64(value)) { writeByte($0) }
        }

        /// Writes a literal element holding the `count` bytes at `bytes` (`count >= 1`).
        mutating func writeLiteral(_ bytes: UnsafePointer<UInt8>, count: Int) {
            reserve(5 + count)
            let lengthMinusOne = count - 1
            if lengthMinusOne < 60 {
                writeByte(UInt8(lengthMinusOne) << 2)
            } else {
                var lengthByteCount = 1
                while lengthByteCount < 4 && lengthMinusOne >> (8 * lengthByteCount) != 0 {
                    lengthByteCount += 1
                }
                writeByte(UInt8(59 + lengthByteCount) << 2)
                for index in 0..<lengthByteCount {
                    writeByte(UInt8(truncatingIfNeeded: lengthMinusOne >> (8 * index)))
                }
            }
            (destination + position).initialize(from: bytes, count: count)
            position += count
        }

        /// Writes copy elements repeating `length` bytes from `offset` bytes back
        /// (`length >= 4`, `1 <= offset <= 65535`).
        mutating func writeCopy(offset: Int, length: Int) {
            var remaining = length
            // Split long matches so that every piece, the last included, is at
            // least 4 bytes long (and can use the 1-byte-offset form if near).
            while remaining >= 68 {
                writeTwoByteOffsetCopy(offset: offset, length: 64)
                remaining -= 64
            }
            if remaining > 64 {
                writeTwoByteOffsetCopy(offset: offset, length: 60)
                remaining -= 60
            }
            if remaining <= 11 && offset < 2048 {
                reserve(2)
                writeByte(0b01 | UInt8(remaining - 4) << 2 | UInt8(offset >> 8) << 5)
                writeByte(UInt8(truncatingIfNeeded: offset))
            } else {
                writeTwoByteOffsetCopy(offset: offset, length: remaining)
            }
        }

        /// Writes one copy element with a 2-byte offset (`1 <= length <= 64`).
        private mutating func writeTwoByteOffsetCopy(offset: Int, length: Int) {
            reserve(3)
            writeByte(0b10 | UInt8(length - 1) << 2)
            writeByte(UInt8(truncatingIfNeeded: offset))
            writeByte(UInt8(truncatingIfNeeded: offset >> 8))
        }
    }

    @inline(__always)
    private static func load32(_ pointer: UnsafePointer<UInt8>) -> UInt32 {
        UInt32(littleEndian: UnsafeRawPointer(pointer).loadUnaligned(as: UInt32.self))
    }

    @inline(__always)
    private static func load64(_ pointer: UnsafePointer<UInt8>) -> UInt64 {
        UInt64(littleEndian: UnsafeRawPointer(pointer).loadUnaligned(as: UInt64.self))
    }

    /// The hash-table slot for four bytes: a multiplicative (Fibonacci) hash that
    /// keeps the top `hashBits` bits of the product.
    @inline(__always)
    private static func slot(for fourBytes: UInt32, hashBits: Int) -> Int {
        Int((fourBytes &* 0x9e37_79b1) >> UInt32(32 - hashBits))
    }

    /// Returns how many bytes starting at `first` and `second` are equal, looking
    /// at no more than `limit` bytes.
    @inline(__always)
    private static func commonPrefixLength(
        _ first: UnsafePointer<UInt8>, _ second: UnsafePointer<UInt8>, limit: Int
    ) -> Int {
        var matched = 0
        while limit - matched >= 8 {
            let difference = load64(first + matched) ^ load64(second + matched)
            if difference != 0 {
                // Both words were read little-endian, so the lowest differing byte
                // is the first one in memory.
                return matched + difference.trailingZeroBitCount / 8
            }
            matched += 8
        }
        while matched < limit && first[matched] == second[matched] {
            matched += 1
        }
        return matched
    }

    /// Compresses one fragment (at most `fragmentSize` bytes) into `writer`.
    ///
    /// `table` maps a hash of four bytes to the last fragment-relative position
    /// (hence `UInt16`) where bytes with that hash were seen. It is cleared first,
    /// so matches never reach into an earlier fragment.
    private static func compressFragment(
        _ source: UnsafePointer<UInt8>,
        count: Int,
        table: UnsafeMutablePointer<UInt16>,
        hashBits: Int,
        into writer: inout BlockWriter
    ) {
        table.update(repeating: 0, count: 1 << hashBits)
        var literalStart = 0
        // The last position from which four bytes can be read within the fragment.
        let lastMatchStart = count - 4
        var position = 0
        // After 32 consecutive misses the step grows to 2 bytes, after 64 more to
        // 3, and so on; a match resets it.
        var missCounter = 32

        while position <= lastMatchStart {
            let current = load32(source + position)
            let slotIndex = slot(for: current, hashBits: hashBits)
            let candidate = Int(table[slotIndex])
            table[slotIndex] = UInt16(truncatingIfNeeded: position)

            guard candidate < position, load32(source + candidate) == current else {
                position += missCounter >> 5
                missCounter += 1
                continue
            }

            if literalStart < position {
                writer.writeLiteral(source + literalStart, count: position - literalStart)
            }
            let length =
                4
                + commonPrefixLength(
                    source + candidate + 4, source + position + 4, limit: count - position - 4)
            writer.writeCopy(offset: position - candidate, length: length)
            position += length
            literalStart = position
            missCounter = 32

            // Remember the position just before the next one, so that a repeat
            // starting right after this match can still be found.
            if position - 1 <= lastMatchStart {
                let previous = position - 1
                table[slot(for: load32(source + previous), hashBits: hashBits)] =
                    UInt16(truncatingIfNeeded: previous)
            }
        }

        if literalStart < count {
            writer.writeLiteral(source + literalStart, count: count - literalStart)
        }
    }

    // MARK: - Decompression

    /// Decodes the elements of a block into `destination`, whose size is the
    /// declared uncompressed length. Returns the error found, or `nil` when the
    /// elements fill `destination` exactly.
    ///
    /// Every read from `source` and write to `destination` is preceded by a check
    /// of the remaining room on that side.
    private static func decodeElements(
        _ source: UnsafeBufferPointer<UInt8>,
        from start: Int,
        into destination: UnsafeMutableBufferPointer<UInt8>,
        initializedCount: inout Int
    ) -> SnappyError? {
        let inputEnd = source.count
        let outputEnd = destination.count
        var inputPosition = start
        var outputPosition = 0
        defer { initializedCount = outputPosition }

        guard let input = source.baseAddress, let output = destination.baseAddress else {
            // An empty input or an empty output: valid only when there is nothing
            // to decode and nothing expected.
            if inputPosition < inputEnd {
                return SnappyError(
                    message: "element found after the declared 0 bytes of output", offset: inputPosition)
            }
            if outputEnd != 0 {
                return SnappyError(
                    message: "block ends after 0 of \(outputEnd) declared bytes", offset: inputEnd)
            }
            return nil
        }

        while inputPosition < inputEnd {
            let elementStart = inputPosition
            let tag = input[inputPosition]
            inputPosition += 1

            let length: Int
            // Up to 2^32 - 1, so kept in 64 bits to stay exact on 32-bit platforms.
            let offset: UInt64
            switch tag & 0b11 {
            case 0b00:
                // Up to 2^32, so computed in 64 bits to stay exact on 32-bit platforms.
                var literalLength = UInt64(tag >> 2) + 1
                if literalLength > 60 {
                    let lengthByteCount = Int(literalLength) - 60
                    guard inputEnd - inputPosition >= lengthByteCount else {
                        return SnappyError(message: "truncated literal length", offset: elementStart)
                    }
                    var lengthMinusOne: UInt64 = 0
                    for index in 0..<lengthByteCount {
                        lengthMinusOne |= UInt64(input[inputPosition + index]) << (8 * UInt64(index))
                    }
                    inputPosition += lengthByteCount
                    literalLength = lengthMinusOne + 1
                }
                guard literalLength <= UInt64(inputEnd - inputPosition) else {
                    return SnappyError(
                        message: "literal of \(literalLength) bytes runs past the end of the input",
                        offset: elementStart)
                }
                guard literalLength <= UInt64(outputEnd - outputPosition) else {
                    return SnappyError(
                        message: "literal of \(literalLength) bytes overruns the declared length \(outputEnd)",
                        offset: elementStart)
                }
                let count = Int(literalLength)
                (output + outputPosition).initialize(from: input + inputPosition, count: count)
                inputPosition += count
                outputPosition += count
                continue

            case 0b01:
                guard inputEnd - inputPosition >= 1 else {
                    return SnappyError(message: "truncated copy element", offset: elementStart)
                }
                length = 4 + Int((tag >> 2) & 0b111)
                offset = UInt64(tag >> 5) << 8 | UInt64(input[inputPosition])
                inputPosition += 1

            case 0b10:
                guard inputEnd - inputPosition >= 2 else {
                    return SnappyError(message: "truncated copy element", offset: elementStart)
                }
                length = Int(tag >> 2) + 1
                offset = UInt64(input[inputPosition]) | UInt64(input[inputPosition + 1]) << 8
                inputPosition += 2

            default:
                guard inputEnd - inputPosition >= 4 else {
                    return SnappyError(message: "truncated copy element", offset: elementStart)
                }
                length = Int(tag >> 2) + 1
                var wideOffset: UInt64 = 0
                for index in 0..<4 {
                    wideOffset |= UInt64(input[inputPosition + index]) << (8 * UInt64(index))
                }
                offset = wideOffset
                inputPosition += 4
            }

            guard offset != 0 else {
                return SnappyError(message: "copy with offset 0", offset: elementStart)
            }
            guard offset <= UInt64(outputPosition) else {
                return SnappyError(
                    message: "copy offset \(offset) reaches before the start of the output "
                        + "(\(outputPosition) bytes written)",
                    offset: elementStart)
            }
            guard length <= outputEnd - outputPosition else {
                return SnappyError(
                    message: "copy of \(length) bytes overruns the declared length \(outputEnd)",
                    offset: elementStart)
            }
            let distance = Int(offset)
            let copySource = output + (outputPosition - distance)
            let copyDestination = output + outputPosition
            if distance >= length {
                copyDestination.initialize(from: copySource, count: length)
            } else {
                // Overlapping copy: bytes written earlier in this loop are read
                // again, repeating the last `distance` bytes.
                for index in 0..<length {
                    (copyDestination + index).initialize(to: copySource[index])
                }
            }
            outputPosition += length
        }

        guard outputPosition == outputEnd else {
            return SnappyError(
                message: "block ends after \(outputPosition) of \(outputEnd) declared bytes", offset: inputEnd)
        }
        return nil
    }
}

/// An error decoding a Snappy block: `message` says what and `offset` the byte offset in the compressed input.
package struct SnappyError: Error, Sendable, Equatable {
    /// What is wrong with the block.
    package var message: String
    /// The byte offset in the compressed input of the preamble or element at fault.
    package var offset: Int
}
