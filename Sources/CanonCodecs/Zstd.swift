import CZstd

/// Zstandard frames, as Kafka's `zstd` codec uses them, decompressed through libzstd's streaming API
/// (a frame need not declare its size).
package enum Zstd {
    /// Decompresses every frame of `input`; output beyond `maxOutputSize` bytes is an error, not an
    /// allocation.
    package static func decompress(_ input: [UInt8], maxOutputSize: Int) throws(Deflate.Failure) -> [UInt8] {
        guard let stream = ZSTD_createDStream() else { throw Deflate.Failure(message: "ZSTD_createDStream failed") }
        defer { ZSTD_freeDStream(stream) }
        ZSTD_initDStream(stream)
        var chunk = [UInt8](repeating: 0, count: Int(ZSTD_DStreamOutSize()))
        let outcome = input.withUnsafeBytes { inBytes -> Result<([UInt8], Int), Deflate.Failure> in
            var output: [UInt8] = []
            var last = 0
            var inBuffer = ZSTD_inBuffer(src: inBytes.baseAddress, size: inBytes.count, pos: 0)
            repeat {
                let (result, produced) = chunk.withUnsafeMutableBytes { outBytes in
                    var outBuffer = ZSTD_outBuffer(dst: outBytes.baseAddress, size: outBytes.count, pos: 0)
                    let r = ZSTD_decompressStream(stream, &outBuffer, &inBuffer)
                    return (r, outBuffer.pos)
                }
                if ZSTD_isError(result) != 0 {
                    return .failure(Deflate.Failure(message: "invalid zstd data: \(String(cString: ZSTD_getErrorName(result)))"))
                }
                guard output.count + produced <= maxOutputSize else {
                    return .failure(Deflate.Failure(message: "decompressed data larger than the limit of \(maxOutputSize) bytes"))
                }
                output.append(contentsOf: chunk[0..<produced])
                last = result
                if produced == 0 && inBuffer.pos == inBuffer.size { break }
            } while inBuffer.pos < inBuffer.size || last != 0
            return .success((output, last))
        }
        let (output, last) = try outcome.get()
        guard last == 0 else { throw Deflate.Failure(message: "zstd data ends before the end of its frame") }
        return output
    }
}
