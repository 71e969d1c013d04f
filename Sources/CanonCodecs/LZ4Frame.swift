import CLZ4

/// The LZ4 frame format (magic 0x184D2204), as Kafka's `lz4` codec uses it for record batches v2,
/// decompressed through liblz4.
package enum LZ4Frame {
    /// Decompresses one or more frames; output beyond `maxOutputSize` bytes is an error, not an allocation.
    package static func decompress(_ input: [UInt8], maxOutputSize: Int) throws(Deflate.Failure) -> [UInt8] {
        var context: OpaquePointer?
        guard LZ4F_isError(LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))) == 0, let context else {
            throw Deflate.Failure(message: "LZ4F_createDecompressionContext failed")
        }
        defer { LZ4F_freeDecompressionContext(context) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var position = 0
        var hint = 1
        while position < input.count {
            var consumed = input.count - position
            var produced = chunk.count
            hint = input.withUnsafeBufferPointer { inBuf in
                chunk.withUnsafeMutableBufferPointer { outBuf in
                    LZ4F_decompress(context, outBuf.baseAddress, &produced, inBuf.baseAddress! + position, &consumed, nil)
                }
            }
            if LZ4F_isError(hint) != 0 {
                throw Deflate.Failure(message: "invalid LZ4 frame: \(String(cString: LZ4F_getErrorName(hint)))")
            }
            guard output.count + produced <= maxOutputSize else {
                throw Deflate.Failure(message: "decompressed data larger than the limit of \(maxOutputSize) bytes")
            }
            output.append(contentsOf: chunk[0..<produced])
            position += consumed
            if consumed == 0 && produced == 0 { throw Deflate.Failure(message: "LZ4 frame makes no progress") }
        }
        guard hint == 0 else { throw Deflate.Failure(message: "LZ4 data ends before the end of its frame") }
        return output
    }
}
