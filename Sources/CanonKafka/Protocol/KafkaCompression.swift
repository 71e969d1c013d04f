import CanonCodecs
import CanonCore
import CanonLog

/// A producer's record batch that cannot be taken: corrupt, or compressed with an unknown codec.
struct KafkaBatchError: Error, Sendable, CustomStringConvertible {
    var code: KafkaErrorCode
    var message: String
    var description: String { message }
}

/// Kafka's batch compression (attributes bits 0-2: none, gzip, snappy, lz4, zstd): the records section
/// of a compressed batch is decompressed, within a limit, so its records can be validated and appended.
enum KafkaCompression {
    /// The magic of snappy-java's stream framing (`SnappyOutputStream`), which the Java client writes;
    /// other producers (librdkafka) may write one raw Snappy block.
    static let xerialMagic: [UInt8] = [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00]

    /// The batch at `bytes` (exactly one), with its records decompressed: checked (magic 2, CRC-32C of
    /// what was sent) before anything is decompressed.
    static func decode(_ bytes: [UInt8], maximumDecompressedBytes: Int) throws(KafkaBatchError) -> RecordBatch {
        guard bytes.count >= RecordBatch.headerSize, bytes[16] == 2 else {
            throw KafkaBatchError(code: .corruptMessage, message: "not a record batch v2 (magic 2)")
        }
        let codec = Int(bytes[22] & 0x07)
        guard codec != 0 else { return try batch(bytes) }
        let intact = bytes.withUnsafeBytes {
            $0.loadBigEndian(UInt32.self, at: 17) == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[21...]))
        }
        guard intact else {
            throw KafkaBatchError(code: .corruptMessage, message: "the batch's CRC-32C does not match its bytes")
        }
        guard (1...4).contains(codec) else {
            throw KafkaBatchError(code: .unsupportedCompressionType, message: "compression codec \(codec) is not one of Kafka's")
        }
        let compressed = Array(bytes[RecordBatch.headerSize...])
        let records: [UInt8]
        do throws(Deflate.Failure) {
            switch codec {
            case 1: records = try Deflate.decompress(compressed, format: .gzip, maxOutputSize: maximumDecompressedBytes)
            case 2: records = try snappy(compressed, maximumDecompressedBytes)
            case 3: records = try LZ4Frame.decompress(compressed, maxOutputSize: maximumDecompressedBytes)
            default: records = try Zstd.decompress(compressed, maxOutputSize: maximumDecompressedBytes)
            }
        } catch {
            throw KafkaBatchError(code: .corruptMessage, message: "the batch does not decompress: \(error.message)")
        }
        // The same batch, uncompressed: codec bits cleared, length and CRC for the records as they are.
        var plain = Array(bytes[0..<RecordBatch.headerSize]) + records
        plain[22] &= ~0x07
        plain.setBigEndian(Int32(plain.count - RecordBatch.logOverhead), at: 8)
        plain.setBigEndian(plain.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[21...])) }, at: 17)
        return try batch(plain)
    }

    private static func batch(_ bytes: [UInt8]) throws(KafkaBatchError) -> RecordBatch {
        do {
            return try RecordBatch(decoding: bytes)
        } catch {
            throw KafkaBatchError(code: .corruptMessage, message: error.message)
        }
    }

    /// snappy-java's framing (magic, version, compatible version, then length-prefixed raw blocks), or
    /// one raw block.
    private static func snappy(_ input: [UInt8], _ maximum: Int) throws(Deflate.Failure) -> [UInt8] {
        func block(_ bytes: [UInt8], _ limit: Int) throws(Deflate.Failure) -> [UInt8] {
            do {
                return try Snappy.decompress(bytes, maxOutputSize: limit)
            } catch {
                throw Deflate.Failure(message: "snappy: \(error.message) at byte \(error.offset)")
            }
        }
        guard input.count >= 16, Array(input[0..<8]) == xerialMagic else { return try block(input, maximum) }
        var output: [UInt8] = []
        var position = 16
        while position < input.count {
            guard position + 4 <= input.count else { throw Deflate.Failure(message: "snappy-java block length is truncated") }
            let size = Int(input.withUnsafeBytes { $0.loadBigEndian(UInt32.self, at: position) })
            position += 4
            guard size <= input.count - position else { throw Deflate.Failure(message: "a snappy-java block runs past the batch") }
            output += try block(Array(input[position..<position + size]), maximum - output.count)
            position += size
        }
        return output
    }
}
