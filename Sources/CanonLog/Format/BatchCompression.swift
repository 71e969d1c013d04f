import CanonCodecs
import CanonCore

/// Kafka's batch compression (attributes bits 0-2: none, gzip, snappy, lz4, zstd). A compressed batch is
/// stored and served as its producer sent it; its records section is decompressed, within a limit, only
/// to decode its records (validation at write, reads that want records).
public enum BatchCompression {
    /// The largest records section a compressed batch may decompress to unless told otherwise.
    public static let defaultMaximumDecompressedBytes = 64 << 20

    /// The magic of snappy-java's stream framing (`SnappyOutputStream`), which the Java client writes;
    /// other producers (librdkafka) may write one raw Snappy block.
    static let xerialMagic: [UInt8] = [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00]

    /// Kafka's name of a codec number, or nil for one Kafka does not define (5-7).
    public static func name(ofCodec codec: Int) -> String? {
        [0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"][codec]
    }

    /// The records section `compressed` of a batch with codec `codec` (1-4), decompressed to at most
    /// `maximum` bytes. The error says which codec failed and why.
    static func decompress(_ compressed: [UInt8], codec: Int, maximum: Int) throws(Deflate.Failure) -> [UInt8] {
        switch codec {
        case 1: return try Deflate.decompress(compressed, format: .gzip, maxOutputSize: maximum)
        case 2: return try snappy(compressed, maximum)
        case 3: return try LZ4Frame.decompress(compressed, maxOutputSize: maximum)
        case 4: return try Zstd.decompress(compressed, maxOutputSize: maximum)
        default: throw Deflate.Failure(message: "compression codec \(codec) is not one of Kafka's")
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
