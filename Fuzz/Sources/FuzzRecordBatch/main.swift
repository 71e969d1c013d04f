import CanonLog

// The record batch reader on arbitrary bytes (what a disk or a Kafka client may hand it): an error or a
// batch, never a crash; a batch it reads (compressed or not, dense or thinned by compaction, or empty)
// encodes again to a batch that reads as the same records at the same offsets. Each input is tried as it
// is and with its CRC-32C set right (the CRC covers bytes 21 on, and is stored at 17..<21), so the fuzzer
// gets past the checksum to the record parsing (and decompression) behind it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRecordBatch(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    var bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    check(bytes)
    if bytes.count >= 21 {
        let crc = CRC32C.checksum(Array(bytes[21...]))
        for i in 0..<4 { bytes[17 + i] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * i)) }
        check(bytes)
    }
    return 0
}

func check(_ bytes: [UInt8]) {
    _ = bytes.withUnsafeBytes { try? RecordBatch.summary(of: $0) }
    guard let batch = try? RecordBatch(decoding: bytes) else { return }
    guard let reread = try? RecordBatch(decoding: batch.encoded()) else { fatalError("a re-encoded batch does not decode") }
    precondition(reread.records == batch.records, "records change through a re-encoding")
    precondition(
        reread.recordsWithOffsets.map(\.offset) == batch.recordsWithOffsets.map(\.offset) && reread.lastOffset == batch.lastOffset,
        "offsets change through a re-encoding")
}
