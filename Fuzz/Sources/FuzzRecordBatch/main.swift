import CanonLog

// The record batch reader on arbitrary bytes (what a disk or a Kafka client may hand it): an error or a
// batch, never a crash; a batch it reads encodes again to a batch that reads as the same records.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRecordBatch(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    _ = bytes.withUnsafeBytes { try? RecordBatch.summary(of: $0) }
    guard let batch = try? RecordBatch(decoding: bytes) else { return 0 }
    let again = RecordBatch(baseOffset: batch.baseOffset, records: batch.records)
    guard let reread = try? RecordBatch(decoding: again.encoded()) else { fatalError("a re-encoded batch does not decode") }
    precondition(reread.records == batch.records, "records change through a re-encoding")
    return 0
}
