import CZlib

/// DEFLATE through zlib: raw (RFC 1951, no header or checksum), as Avro's `deflate` codec uses it, and
/// gzip (RFC 1952), as Kafka's `gzip` codec does.
package enum Deflate {
    /// Why data could not be compressed or decompressed.
    package struct Failure: Error, CustomStringConvertible {
        package var message: String
        package var description: String { message }
        package init(message: String) { self.message = message }
    }

    /// The container around the DEFLATE data.
    package enum Format: Sendable {
        /// No header or checksum (zlib window bits -15).
        case raw
        /// A gzip member: header, data, CRC-32 and size (zlib window bits 31).
        case gzip

        var windowBits: Int32 { self == .raw ? -15 : 31 }
    }

    package static func compress(_ input: [UInt8], level: Int32 = 6) throws(Failure) -> [UInt8] {
        var stream = z_stream()
        guard
            deflateInit2_(&stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK
        else {
            throw Failure(message: "zlib deflateInit2 failed")
        }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 16)
        var input = input
        let status: Int32 = input.withUnsafeMutableBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                stream.next_in = inBuf.baseAddress
                stream.avail_in = uInt(inBuf.count)
                stream.next_out = outBuf.baseAddress
                stream.avail_out = uInt(outBuf.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { throw Failure(message: "zlib deflate failed (status \(status))") }
        output.removeLast(Int(stream.avail_out))
        return output
    }

    /// Inflates DEFLATE data in `format`; output beyond `maxOutputSize` bytes is an error, not an
    /// allocation.
    package static func decompress(_ input: [UInt8], format: Format = .raw, maxOutputSize: Int) throws(Failure) -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, format.windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Failure(message: "zlib inflateInit2 failed")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: max(4096, min(input.count * 4, 1 << 20)))
        var input = input
        var status: Int32 = Z_OK
        try input.withUnsafeMutableBufferPointer { (inBuf) throws(Failure) in
            stream.next_in = inBuf.baseAddress
            stream.avail_in = uInt(inBuf.count)
            while status != Z_STREAM_END {
                let produced: Int = chunk.withUnsafeMutableBufferPointer { outBuf in
                    stream.next_out = outBuf.baseAddress
                    stream.avail_out = uInt(outBuf.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    return outBuf.count - Int(stream.avail_out)
                }
                switch status {
                case Z_OK, Z_STREAM_END: break
                case Z_BUF_ERROR where produced == 0 && stream.avail_in == 0:
                    throw Failure(message: "deflate data ends before the end of the compressed stream")
                case Z_BUF_ERROR: break
                default:
                    let detail = stream.msg.map { String(cString: $0) } ?? "status \(status)"
                    throw Failure(message: "invalid deflate data: \(detail)")
                }
                guard output.count + produced <= maxOutputSize else {
                    throw Failure(message: "inflated block larger than the limit of \(maxOutputSize) bytes")
                }
                output.append(contentsOf: chunk[0..<produced])
                if produced == 0 && stream.avail_in == 0 && status != Z_STREAM_END {
                    throw Failure(message: "deflate data ends before the end of the compressed stream")
                }
            }
        }
        return output
    }

    /// CRC-32 (IEEE), as the Snappy codec's per-block trailer uses it.
    package static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { buf in
            UInt32(CZlib.crc32(0, buf.baseAddress, uInt(buf.count)))
        }
    }
}
