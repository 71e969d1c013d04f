import CanonAvro
import CanonCodecs
import CanonCore

/// A compression codec of Avro object container files.
public enum AvroCodec: Sendable, Hashable {
    case null
    /// Raw DEFLATE at a zlib level 0–9.
    case deflate(level: Int = 6)
    /// Raw Snappy blocks, each followed by the big-endian CRC-32 of the uncompressed data.
    case snappy

    /// The `avro.codec` metadata value.
    public var name: String {
        switch self {
        case .null: return "null"
        case .deflate: return "deflate"
        case .snappy: return "snappy"
        }
    }

    /// The codec named in a file's `avro.codec` metadata; any other name is a clear error.
    public init(name: String) throws(AvroError) {
        switch name {
        case "null", "": self = .null
        case "deflate": self = .deflate()
        case "snappy": self = .snappy
        default:
            throw AvroError(.unsupportedCodec, "unsupported codec '\(name)' (this build reads and writes null, deflate and snappy)")
        }
    }

    func compress(_ data: [UInt8]) throws(AvroError) -> [UInt8] {
        switch self {
        case .null: return data
        case .deflate(let level):
            do {
                return try Deflate.compress(data, level: Int32(max(0, min(9, level))))
            } catch {
                throw AvroError(.invalidContainer, error.message)
            }
        case .snappy:
            var out = Snappy.compress(data)
            let crc = Deflate.crc32(data)
            out += [
                UInt8(truncatingIfNeeded: crc >> 24), UInt8(truncatingIfNeeded: crc >> 16), UInt8(truncatingIfNeeded: crc >> 8),
                UInt8(truncatingIfNeeded: crc),
            ]
            return out
        }
    }

    func decompress(_ data: [UInt8], maxOutputSize: Int, offset: Int) throws(AvroError) -> [UInt8] {
        switch self {
        case .null: return data
        case .deflate:
            do {
                return try Deflate.decompress(data, maxOutputSize: maxOutputSize)
            } catch {
                throw AvroError(.invalidContainer, "deflate block: \(error.message)", location: .init(byteOffset: offset))
            }
        case .snappy:
            guard data.count >= 4 else {
                throw AvroError(.invalidContainer, "snappy block shorter than its 4-byte CRC", location: .init(byteOffset: offset))
            }
            let body = Array(data[..<(data.count - 4)])
            let out: [UInt8]
            do {
                out = try Snappy.decompress(body, maxOutputSize: maxOutputSize)
            } catch {
                throw AvroError(.invalidContainer, "snappy block: \(error.message)", location: .init(byteOffset: offset + error.offset))
            }
            let expected = data[(data.count - 4)...].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let actual = Deflate.crc32(out)
            guard expected == actual else {
                throw AvroError(
                    .invalidContainer, "snappy block CRC-32 mismatch (stored \(expected), computed \(actual))",
                    location: .init(byteOffset: offset))
            }
            return out
        }
    }
}

/// Reads an Avro object container file held in memory: header (magic, metadata, sync marker), then
/// blocks of datums, each checked against the sync marker.
public struct AvroContainerReader: Sendable {
    /// The writer schema from `avro.schema`.
    public let schema: AvroSchema
    /// The file metadata, in file order (values are bytes; `avro.schema` and `avro.codec` included).
    public let metadata: [(key: String, value: [UInt8])]
    public let codec: AvroCodec
    public let syncMarker: [UInt8]
    private let bytes: [UInt8]
    private let dataStart: Int
    private let limits: AvroDecodingLimits

    static let magic: [UInt8] = [0x4F, 0x62, 0x6A, 0x01]

    /// Reads the header. The blocks are read by ``forEach(_:)`` or ``readAll()``.
    public init(bytes: [UInt8], limits: AvroDecodingLimits = .default) throws(AvroError) {
        self.bytes = bytes
        self.limits = limits
        guard bytes.count >= 4, bytes[0..<3].elementsEqual([0x4F, 0x62, 0x6A]) else {
            throw AvroError(.invalidContainer, "not an Avro object container file (no 'Obj' magic)", location: .init(byteOffset: 0))
        }
        guard bytes[3] == 1 else {
            let legacy = bytes[3] == 0 ? " (the legacy Avro 1.2 format, which this reader does not support)" : ""
            throw AvroError(
                .invalidContainer, "unsupported container format version \(bytes[3])\(legacy); expected magic 'Obj' 0x01",
                location: .init(byteOffset: 3))
        }
        var meta: [(key: String, value: [UInt8])] = []
        var sync: [UInt8] = []
        let start = try AvroBinaryReader.withReader(bytes, limits: limits) { (r) throws(AvroError) -> Int in
            try r.skip(4)
            var count = 0
            while true {
                let n = try r.readBlockCount(minimumItemSize: 2, itemsSoFar: count)
                if n == 0 { break }
                count += n
                for _ in 0..<n {
                    let key = try r.readString()
                    meta.append((key, try r.readBytes()))
                }
            }
            sync = try r.readFixed(size: 16)
            return r.offset
        }
        metadata = meta
        syncMarker = sync
        dataStart = start
        guard let schemaBytes = meta.last(where: { $0.key == "avro.schema" })?.value else {
            throw AvroError(.invalidContainer, "container header has no 'avro.schema' metadata")
        }
        guard let schemaText = String(validating: schemaBytes, as: UTF8.self) else {
            throw AvroError(.invalidContainer, "'avro.schema' metadata is not UTF-8")
        }
        do {
            schema = try AvroSchema(parsing: schemaText)
        } catch {
            throw AvroError(error.code, "container schema: \(error.message)", location: error.location)
        }
        if let codecBytes = meta.last(where: { $0.key == "avro.codec" })?.value {
            codec = try AvroCodec(name: String(decoding: codecBytes, as: UTF8.self))
        } else {
            codec = .null
        }
    }

    /// The value of a metadata key.
    public func metadata(_ key: String) -> [UInt8]? { metadata.last { $0.key == key }?.value }

    /// Calls `body` with every datum in file order.
    ///
    /// Besides the per-datum limits, a block's datums together may count no more than `maxTotalSize`
    /// (each at least 32 bytes), and a file may hold at most `maxCollectionItems` datums that take no
    /// bytes: a few bytes of hostile file cannot expand into billions of records.
    public func forEach(_ body: (AvroValue) throws(AvroError) -> Void) throws(AvroError) {
        var zeroByteDatums = 0
        try AvroBinaryReader.withReader(bytes, limits: limits) { (r) throws(AvroError) in
            try r.skip(dataStart)
            while !r.isAtEnd {
                let blockStart = r.offset
                let count = try r.readLong()
                guard count >= 0 else {
                    throw AvroError(.invalidContainer, "negative block object count \(count)", location: .init(byteOffset: blockStart))
                }
                guard count <= Int64(limits.maxCollectionItems) else {
                    throw AvroError(
                        .limitExceeded, "block object count \(count) exceeds the limit of \(limits.maxCollectionItems)",
                        location: .init(byteOffset: blockStart))
                }
                let size = try r.readLong()
                guard size >= 0, size <= Int64(r.remaining) else {
                    throw AvroError(
                        .invalidContainer, "block size \(size) is negative or exceeds the \(r.remaining) remaining byte(s)",
                        location: .init(byteOffset: blockStart))
                }
                let data = Array(bytes[r.offset..<(r.offset + Int(size))])
                try r.skip(Int(size))
                let marker = try r.readFixed(size: 16)
                guard marker == syncMarker else {
                    throw AvroError(
                        .invalidContainer, "sync marker mismatch after the block at byte \(blockStart)",
                        location: .init(byteOffset: r.offset - 16))
                }
                let raw = try codec.decompress(data, maxOutputSize: limits.maxTotalSize, offset: blockStart)
                try AvroBinaryReader.withReader(raw, limits: limits) { (datums) throws(AvroError) in
                    var blockSize = 0
                    for i in 0..<count {
                        let value: AvroValue
                        let start = datums.offset
                        do throws(AvroError) {
                            value = try schema.decode(from: &datums)
                            blockSize += max(32, datums.decodedSize)
                            if blockSize > limits.maxTotalSize {
                                throw AvroError(
                                    .limitExceeded, "the block's datums decode to more than the limit of \(limits.maxTotalSize) bytes",
                                    location: .init(byteOffset: datums.offset))
                            }
                            if datums.offset == start {
                                zeroByteDatums += 1
                                if zeroByteDatums > limits.maxCollectionItems {
                                    throw AvroError(
                                        .limitExceeded, "more than \(limits.maxCollectionItems) datums that take no bytes",
                                        location: .init(byteOffset: start))
                                }
                            }
                        } catch {
                            let inBlock = error.location.byteOffset.map { " (byte \($0) of its decompressed data)" } ?? ""
                            throw AvroError(
                                error.code, "datum \(i) of the block at byte \(blockStart)\(inBlock): \(error.message)",
                                location: .init(jsonPath: error.location.jsonPath, byteOffset: blockStart))
                        }
                        try body(value)
                    }
                    if !datums.isAtEnd {
                        throw AvroError(
                            .invalidContainer, "block at byte \(blockStart) has \(datums.remaining) byte(s) after its \(count) datum(s)")
                    }
                }
            }
        }
    }

    /// Every datum in the file.
    public func readAll() throws(AvroError) -> [AvroValue] {
        var all: [AvroValue] = []
        try forEach { all.append($0) }
        return all
    }
}

/// Writes an Avro object container file into memory.
public struct AvroContainerWriter: Sendable {
    public let schema: AvroSchema
    public let codec: AvroCodec
    public let syncMarker: [UInt8]
    /// Datums are gathered into blocks of about this many uncompressed bytes.
    public var blockSize: Int
    private var output: [UInt8] = []
    private var block = AvroBinaryWriter(capacity: 1 << 16)
    private var blockCount = 0

    /// Starts a file: writes the header with `avro.schema` (the full rendering), `avro.codec` and `metadata`.
    public init(
        schema: AvroSchema, codec: AvroCodec = .null, metadata: [(String, [UInt8])] = [], syncMarker: [UInt8]? = nil,
        blockSize: Int = 64 * 1024
    ) {
        self.schema = schema
        self.codec = codec
        self.blockSize = blockSize
        var generator = SystemRandomNumberGenerator()
        self.syncMarker = syncMarker ?? (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var header = AvroBinaryWriter()
        header.writeFixed(AvroContainerReader.magic)
        let meta: [(String, [UInt8])] =
            [("avro.schema", Array(schema.fullRendering.utf8)), ("avro.codec", Array(codec.name.utf8))] + metadata
        header.writeBlockCount(meta.count)
        for (k, v) in meta {
            header.writeString(k)
            header.writeBytes(v)
        }
        header.writeLong(0)
        header.writeFixed(self.syncMarker)
        output = header.bytes
    }

    /// Appends one datum.
    public mutating func append(_ value: AvroValue) throws(AvroError) {
        let mark = block.bytes.count
        do {
            try schema.encode(value, into: &block)
        } catch {
            block.bytes.removeLast(block.bytes.count - mark)
            throw error
        }
        blockCount += 1
        if block.bytes.count >= blockSize { try flush() }
    }

    /// Writes the pending block, if any.
    public mutating func flush() throws(AvroError) {
        guard blockCount > 0 else { return }
        let data = try codec.compress(block.bytes)
        var w = AvroBinaryWriter()
        w.writeLong(Int64(blockCount))
        w.writeLong(Int64(data.count))
        output += w.bytes
        output += data
        output += syncMarker
        block.reset()
        blockCount = 0
    }

    /// Flushes and returns the whole file.
    public mutating func finish() throws(AvroError) -> [UInt8] {
        try flush()
        return output
    }
}
