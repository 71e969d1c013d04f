import CanonCodecs
import CanonCore
/// A record: key and value bytes (either may be null), a timestamp and headers.
public struct LogRecord: Sendable, Hashable {
    public var key: [UInt8]?
    public var value: [UInt8]?
    /// Milliseconds since the epoch.
    public var timestamp: Int64
    public var headers: [LogHeader]

    public init(key: [UInt8]?, value: [UInt8]?, timestamp: Int64, headers: [LogHeader] = []) {
        self.key = key
        self.value = value
        self.timestamp = timestamp
        self.headers = headers
    }
}

/// A record header: a UTF-8 key and a value that may be null.
public struct LogHeader: Sendable, Hashable {
    public var key: String
    public var value: [UInt8]?

    public init(key: String, value: [UInt8]?) {
        self.key = key
        self.value = value
    }
}

/// An idempotent producer's fields of a batch header: kept in the stored batch, so the producer's last
/// sequence numbers can be found again after a restart.
public struct ProducerFields: Sendable, Hashable {
    public var id: Int64
    public var epoch: Int16
    public var baseSequence: Int32

    public init(id: Int64, epoch: Int16, baseSequence: Int32) {
        self.id = id
        self.epoch = epoch
        self.baseSequence = baseSequence
    }
}

/// A batch encoded on the producer's task with base offset 0: the partition writer stamps the base
/// offset in place (it is not covered by the CRC), as a Kafka broker does, so encoding and checksumming
/// stay off the I/O thread.
public struct PreparedBatch: Sendable {
    public let bytes: [UInt8]
    public let count: Int
    public let maxTimestamp: Int64

    public init(records: [LogRecord], producer: ProducerFields? = nil) {
        let batch = RecordBatch(baseOffset: 0, records: records, producer: producer)
        bytes = batch.encoded()
        count = records.count
        maxTimestamp = batch.maxTimestamp
    }

    /// A batch a producer encoded, stored as it is (the writer stamps its base offset, which the CRC does
    /// not cover). The caller has checked it (magic, CRC-32C, record count) and decoded its `records`
    /// for validation; the time index takes their latest timestamp.
    public init(encoded bytes: [UInt8], records: [LogRecord]) {
        self.bytes = bytes
        count = records.count
        maxTimestamp = records.map(\.timestamp).max() ?? -1
    }
}

/// A batch as the log stores it: the producer's bytes (compressed or not) with the base offset stamped,
/// checked (header, CRC-32C) but not decoded. Kafka's Fetch serves these bytes unchanged.
public struct StoredBatch: Sendable, Hashable {
    public let bytes: [UInt8]
    public let baseOffset: Int64
    public let lastOffset: Int64

    public init(bytes: [UInt8], baseOffset: Int64, lastOffset: Int64) {
        self.bytes = bytes
        self.baseOffset = baseOffset
        self.lastOffset = lastOffset
    }
}

/// Kafka's record batch v2 ("magic 2"): a 61-byte header, then the records, exactly as brokers store and
/// serve them. All header integers are big-endian; record fields are zig-zag varints. The CRC-32C covers
/// the attributes to the end of the batch (not the base offset, length and leader epoch, which a broker
/// stamps in place).
public struct RecordBatch: Sendable, Hashable {
    /// Bytes before the records.
    public static let headerSize = 61
    /// `baseOffset` + `length`: the bytes that precede what `length` counts.
    public static let logOverhead = 12

    public var baseOffset: Int64
    public var partitionLeaderEpoch: Int32
    public var attributes: Int16
    public var lastOffsetDelta: Int32
    public var baseTimestamp: Int64
    public var maxTimestamp: Int64
    public var producerId: Int64
    public var producerEpoch: Int16
    public var baseSequence: Int32
    public var records: [LogRecord]
    /// Each record's offset minus `baseOffset`, when they are not simply 0, 1, 2, … (a compacted batch
    /// keeps its records' offsets: some are gone); nil for a dense batch.
    public var offsetDeltas: [Int32]?

    /// A batch of `records` (not empty) with offsets from `baseOffset`, no compression, CreateTime
    /// timestamps, leader epoch -1, and the producer's fields when given (else none: -1).
    public init(baseOffset: Int64, records: [LogRecord], producer: ProducerFields? = nil) {
        precondition(!records.isEmpty, "a record batch holds at least one record")
        self.baseOffset = baseOffset
        self.partitionLeaderEpoch = -1
        self.attributes = 0
        self.lastOffsetDelta = Int32(records.count - 1)
        self.baseTimestamp = records[0].timestamp
        self.maxTimestamp = records.map(\.timestamp).max()!
        self.producerId = producer?.id ?? -1
        self.producerEpoch = producer?.epoch ?? -1
        self.baseSequence = producer?.baseSequence ?? -1
        self.records = records
    }

    /// A batch as compaction leaves it: `records` (possibly none) at `offsetDeltas` (ascending, each at
    /// most `lastOffsetDelta`) from `baseOffset`; the batch still covers `baseOffset` to
    /// `baseOffset + lastOffsetDelta`, and keeps its max timestamp and producer fields. No compression.
    public init(
        baseOffset: Int64, lastOffsetDelta: Int32, records: [LogRecord], offsetDeltas: [Int32], maxTimestamp: Int64,
        producer: ProducerFields?, timestampType attributes: Int16 = 0
    ) {
        precondition(records.count == offsetDeltas.count && offsetDeltas.allSatisfy { $0 >= 0 && $0 <= lastOffsetDelta })
        self.baseOffset = baseOffset
        self.partitionLeaderEpoch = -1
        self.attributes = attributes & 0x08
        self.lastOffsetDelta = lastOffsetDelta
        self.baseTimestamp = records.first?.timestamp ?? maxTimestamp
        self.maxTimestamp = maxTimestamp
        self.producerId = producer?.id ?? -1
        self.producerEpoch = producer?.epoch ?? -1
        self.baseSequence = producer?.baseSequence ?? -1
        self.records = records
        self.offsetDeltas = offsetDeltas.enumerated().allSatisfy { $0.element == Int32($0.offset) } ? nil : offsetDeltas
    }

    /// The offset of the last record.
    public var lastOffset: Int64 { baseOffset + Int64(lastOffsetDelta) }

    /// The offset of the record at `index` in ``records``.
    public func offset(ofRecordAt index: Int) -> Int64 {
        baseOffset + Int64(offsetDeltas?[index] ?? Int32(index))
    }

    /// The records with their offsets, in order.
    public var recordsWithOffsets: [(offset: Int64, record: LogRecord)] {
        records.indices.map { (offset(ofRecordAt: $0), records[$0]) }
    }

    /// The producer's fields, when an idempotent producer wrote the batch.
    public var producer: ProducerFields? {
        producerId >= 0 ? ProducerFields(id: producerId, epoch: producerEpoch, baseSequence: baseSequence) : nil
    }

    /// The batch's bytes.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Self.headerSize + records.reduce(0) { $0 + 24 + ($1.key?.count ?? 0) + ($1.value?.count ?? 0) })
        out.appendBigEndian(baseOffset)
        out.appendBigEndian(Int32(0))  // length, set below
        out.appendBigEndian(partitionLeaderEpoch)
        out.append(2)  // magic
        out.appendBigEndian(UInt32(0))  // CRC, set below
        out.appendBigEndian(attributes & ~0x07)  // the records are written uncompressed
        out.appendBigEndian(lastOffsetDelta)
        out.appendBigEndian(baseTimestamp)
        out.appendBigEndian(maxTimestamp)
        out.appendBigEndian(producerId)
        out.appendBigEndian(producerEpoch)
        out.appendBigEndian(baseSequence)
        out.appendBigEndian(Int32(records.count))
        var body: [UInt8] = []
        for (i, record) in records.enumerated() {
            body.removeAll(keepingCapacity: true)
            body.append(0)  // attributes
            body.appendVarlong(record.timestamp &- baseTimestamp)
            body.appendVarint(offsetDeltas?[i] ?? Int32(i))
            body.appendBytesField(record.key)
            body.appendBytesField(record.value)
            body.appendVarint(Int32(record.headers.count))
            for h in record.headers {
                body.appendBytesField(Array(h.key.utf8))
                body.appendBytesField(h.value)
            }
            out.appendVarint(Int32(body.count))
            out.append(contentsOf: body)
        }
        out.setBigEndian(Int32(out.count - Self.logOverhead), at: 8)
        let crc = out.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[21...])) }
        out.setBigEndian(crc, at: 17)
        return out
    }

    /// The total size (`length` + 12) of the batch starting at `bytes[start...]`, read from its header;
    /// nil when fewer than 12 bytes are there.
    public static func totalSize(of bytes: UnsafeRawBufferPointer, at start: Int) -> Int? {
        guard start + logOverhead <= bytes.count else { return nil }
        return Int(bytes.loadBigEndian(Int32.self, at: start + 8)) + logOverhead
    }

    /// What a batch's header says, once its length, magic, CRC and record count are checked.
    public struct Summary: Sendable, Hashable {
        public var baseOffset: Int64
        public var lastOffset: Int64
        public var maxTimestamp: Int64
        /// `length` + 12: the whole batch.
        public var size: Int
    }

    /// Checks one batch that fills `bytes` exactly without decoding its records: length, magic,
    /// CRC-32C (which covers the records), a codec Kafka defines, `lastOffsetDelta == count - 1`. This is what
    /// recovery needs to find the valid prefix of a segment.
    public static func summary(of bytes: UnsafeRawBufferPointer, position: Int = 0) throws(LogError) -> Summary {
        func corrupt(_ message: String, at offset: Int) -> LogError {
            LogError(.corruptBatch, message, location: LogError.Location(position: position + offset))
        }
        guard bytes.count >= Self.headerSize else {
            throw corrupt("batch of \(bytes.count) bytes is shorter than the \(Self.headerSize)-byte header", at: 0)
        }
        let length = Int(bytes.loadBigEndian(Int32.self, at: 8))
        guard length + Self.logOverhead == bytes.count else {
            throw corrupt("batch length field says \(length + Self.logOverhead) bytes, the batch has \(bytes.count)", at: 8)
        }
        let magic = bytes[16]
        guard magic == 2 else { throw corrupt("magic byte is \(magic); only record batch v2 (magic 2) is supported", at: 16) }
        let stored = bytes.loadBigEndian(UInt32.self, at: 17)
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[21...]))
        guard stored == computed else {
            throw corrupt("CRC-32C mismatch (stored \(String(stored, radix: 16)), computed \(String(computed, radix: 16)))", at: 17)
        }
        let attributes = bytes.loadBigEndian(Int16.self, at: 21)
        let codec = Int(attributes & 0x07)
        guard BatchCompression.name(ofCodec: codec) != nil else {
            throw corrupt("compression codec \(codec) is not one of Kafka's (0-4)", at: 21)
        }
        let lastOffsetDelta = bytes.loadBigEndian(Int32.self, at: 23)
        let count = Int(bytes.loadBigEndian(Int32.self, at: 57))
        // A producer's batch holds lastOffsetDelta + 1 records; a compacted one may hold fewer, or none.
        guard lastOffsetDelta >= 0, count >= 0, count - 1 <= Int(lastOffsetDelta) else {
            throw corrupt("record count \(count) does not fit lastOffsetDelta \(lastOffsetDelta)", at: 57)
        }
        // A record takes at least 7 bytes uncompressed (compressed, many fit in fewer).
        guard codec != 0 || count <= (bytes.count - Self.headerSize) / 7 else {
            throw corrupt("record count \(count) cannot fit in \(bytes.count - Self.headerSize) bytes", at: 57)
        }
        let baseOffset = bytes.loadBigEndian(Int64.self, at: 0)
        return Summary(
            baseOffset: baseOffset, lastOffset: baseOffset &+ Int64(lastOffsetDelta),
            maxTimestamp: bytes.loadBigEndian(Int64.self, at: 35), size: bytes.count)
    }

    /// Decodes and checks one batch that fills `bytes` exactly: magic, length, CRC-32C, record count,
    /// `lastOffsetDelta == count - 1`, every record's length, varints, offset deltas and headers. A
    /// compressed batch's records are decompressed first, to at most `maximumDecompressedBytes`; its
    /// ``attributes`` keep the codec, and ``encoded()`` writes the records uncompressed.
    /// `position` is added to byte positions in errors (the batch's place in its file; for a compressed
    /// batch's records, their place in the decompressed records section).
    public init(
        decoding bytes: UnsafeRawBufferPointer, position: Int = 0,
        maximumDecompressedBytes: Int = BatchCompression.defaultMaximumDecompressedBytes
    ) throws(LogError) {
        _ = try Self.summary(of: bytes, position: position)
        let codec = Int(bytes[22] & 0x07)
        guard codec != 0 else {
            try self.init(checked: bytes, records: bytes, recordsStart: Self.headerSize, position: position)
            return
        }
        let decompressed: [UInt8]
        do throws(Deflate.Failure) {
            decompressed = try BatchCompression.decompress(
                Array(bytes[Self.headerSize...]), codec: codec, maximum: maximumDecompressedBytes)
        } catch {
            throw LogError(
                .corruptBatch, "the \(BatchCompression.name(ofCodec: codec)!) records do not decompress: \(error.message)",
                location: LogError.Location(position: position + Self.headerSize))
        }
        let result = decompressed.withUnsafeBytes { (records) -> Result<RecordBatch, LogError> in
            do throws(LogError) {
                return .success(try RecordBatch(checked: bytes, records: records, recordsStart: 0, position: 0))
            } catch {
                return .failure(error)
            }
        }
        self = try result.get()
    }

    /// Decodes a batch whose header `bytes` passed ``summary(of:position:)``, with its records in
    /// `records[recordsStart...]` (the batch itself, or its decompressed records section).
    private init(checked bytes: UnsafeRawBufferPointer, records recordBytes: UnsafeRawBufferPointer, recordsStart: Int, position: Int)
        throws(LogError)
    {
        func corrupt(_ message: String, at offset: Int) -> LogError {
            LogError(.corruptBatch, message, location: LogError.Location(position: position + offset))
        }
        baseOffset = bytes.loadBigEndian(Int64.self, at: 0)
        partitionLeaderEpoch = bytes.loadBigEndian(Int32.self, at: 12)
        attributes = bytes.loadBigEndian(Int16.self, at: 21)
        lastOffsetDelta = bytes.loadBigEndian(Int32.self, at: 23)
        baseTimestamp = bytes.loadBigEndian(Int64.self, at: 27)
        maxTimestamp = bytes.loadBigEndian(Int64.self, at: 35)
        producerId = bytes.loadBigEndian(Int64.self, at: 43)
        producerEpoch = bytes.loadBigEndian(Int16.self, at: 51)
        baseSequence = bytes.loadBigEndian(Int32.self, at: 53)
        let count = Int(bytes.loadBigEndian(Int32.self, at: 57))
        // A record takes at least 7 bytes: a count the records section cannot hold is refused before any
        // room is made for it (a compressed batch's header is checked here, against what it decompressed to).
        guard count <= (recordBytes.count - recordsStart) / 7 else {
            throw corrupt("record count \(count) cannot fit in \(recordBytes.count - recordsStart) bytes of records", at: 57)
        }
        var reader = VarintReader(bytes: recordBytes, offset: recordsStart)
        var records: [LogRecord] = []
        records.reserveCapacity(count)
        var deltas: [Int32]?
        for i in 0..<count {
            let recordStart = reader.offset
            let recordLength = try reader.varint()
            guard recordLength >= 0, reader.offset + Int(recordLength) <= recordBytes.count else {
                throw corrupt("record \(i) length \(recordLength) runs past the batch", at: recordStart)
            }
            let end = reader.offset + Int(recordLength)
            _ = try reader.byte()  // attributes
            let timestampDelta = try reader.varlong()
            let offsetDelta = try reader.varint()
            if offsetDelta != Int32(i) || deltas != nil {
                // Compacted: ascending, within the batch.
                let previous = deltas?.last ?? Int32(i - 1)
                guard offsetDelta > previous, offsetDelta <= lastOffsetDelta else {
                    throw corrupt(
                        "record \(i) has offset delta \(offsetDelta) after \(previous) (at most \(lastOffsetDelta))", at: recordStart)
                }
                if deltas == nil { deltas = (0..<Int32(i)).map { $0 } }
                deltas!.append(offsetDelta)
            }
            let key = try reader.bytesField()
            let value = try reader.bytesField()
            let headerCount = try reader.varint()
            guard headerCount >= 0, Int(headerCount) <= end - reader.offset else {
                throw corrupt("record \(i) header count \(headerCount) is invalid", at: recordStart)
            }
            var headers: [LogHeader] = []
            for _ in 0..<Int(headerCount) {
                let keyStart = reader.offset
                guard let keyBytes = try reader.bytesField(), let headerKey = String(validating: keyBytes, as: UTF8.self) else {
                    throw corrupt("record \(i) has a header key that is null or not UTF-8", at: keyStart)
                }
                headers.append(LogHeader(key: headerKey, value: try reader.bytesField()))
            }
            guard reader.offset == end else {
                throw corrupt("record \(i) length \(recordLength) does not match its fields", at: recordStart)
            }
            records.append(LogRecord(key: key, value: value, timestamp: baseTimestamp &+ timestampDelta, headers: headers))
        }
        guard reader.offset == recordBytes.count else {
            throw corrupt("\(recordBytes.count - reader.offset) byte(s) after the last record", at: reader.offset)
        }
        self.records = records
        self.offsetDeltas = deltas
    }

    /// Whether the batch holds a record for every offset it covers, as a producer's batch must.
    public var isDense: Bool { offsetDeltas == nil && records.count == Int(lastOffsetDelta) + 1 }

    /// Decodes one batch from `bytes`.
    public init(
        decoding bytes: [UInt8], position: Int = 0, maximumDecompressedBytes: Int = BatchCompression.defaultMaximumDecompressedBytes
    ) throws(LogError) {
        let result = bytes.withUnsafeBytes { (raw) -> Result<RecordBatch, LogError> in
            do throws(LogError) {
                return .success(try RecordBatch(decoding: raw, position: position, maximumDecompressedBytes: maximumDecompressedBytes))
            } catch {
                return .failure(error)
            }
        }
        self = try result.get()
    }
}

/// Reads Kafka's zig-zag varints with bounds checks.
struct VarintReader {
    let bytes: UnsafeRawBufferPointer
    var offset: Int

    private func truncated() -> LogError {
        LogError(.corruptBatch, "record runs past the end of the batch", location: LogError.Location(position: offset))
    }

    mutating func byte() throws(LogError) -> UInt8 {
        guard offset < bytes.count else { throw truncated() }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func varlong() throws(LogError) -> Int64 {
        let start = offset
        guard let v = Varint.decodeZigZag64(bytes, at: &offset) else { throw failure("varlong", 10, at: start) }
        return v
    }

    mutating func varint() throws(LogError) -> Int32 {
        let start = offset
        guard let v = Varint.decodeZigZag32(bytes, at: &offset) else { throw failure("varint", 5, at: start) }
        return v
    }

    /// The error for a varint that ends early or does not fit (see ``Varint/decode(_:at:bits:)``).
    private func failure(_ what: String, _ most: Int, at start: Int) -> LogError {
        if offset >= bytes.count { return truncated() }
        return LogError(.corruptBatch, "\(what) longer than \(most) bytes", location: LogError.Location(position: start))
    }

    /// A length-prefixed byte field; length -1 is null.
    mutating func bytesField() throws(LogError) -> [UInt8]? {
        let start = offset
        let length = try varint()
        if length == -1 { return nil }
        guard length >= 0, offset + Int(length) <= bytes.count else {
            throw LogError(.corruptBatch, "field length \(length) runs past the batch", location: LogError.Location(position: start))
        }
        defer { offset += Int(length) }
        return [UInt8](UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + Int(length))]))
    }
}

extension [UInt8] {
    package mutating func appendBigEndian<T: FixedWidthInteger>(_ v: T) {
        Swift.withUnsafeBytes(of: v.bigEndian) { append(contentsOf: $0) }
    }

    package mutating func setBigEndian<T: FixedWidthInteger>(_ v: T, at offset: Int) {
        Swift.withUnsafeBytes(of: v.bigEndian) { raw in
            for (i, b) in raw.enumerated() { self[offset + i] = b }
        }
    }

    mutating func appendVarint(_ v: Int32) { Varint.append(Varint.zigZag(Int64(v)), to: &self) }

    mutating func appendVarlong(_ v: Int64) { Varint.append(Varint.zigZag(v), to: &self) }

    mutating func appendBytesField(_ v: [UInt8]?) {
        guard let v else { return appendVarint(-1) }
        appendVarint(Int32(v.count))
        append(contentsOf: v)
    }
}

extension UnsafeRawBufferPointer {
    package func loadBigEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        T(bigEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
