/// A named number kept durably beside the topics (the file `DIR/<name>.mark`) that only ever goes up:
/// the registry keeps the highest schema ID ever issued here, where losing or repairing its topic's
/// events cannot lower it.
///
/// The file has two 16-byte slots (the value, big-endian, a sequence number and a CRC-32C of both);
/// each raise writes the slot not holding the current value and syncs it, so a torn write leaves the
/// other slot, and reading takes the highest valid value.
enum HighWaterMark {
    static func path(_ name: String, in directory: String) -> String { "\(directory)/\(name).mark" }

    /// The mark's value (0 when it was never raised); a file with no valid slot is damage.
    static func read(_ name: String, in directory: String, _ fs: any LogFileSystem) throws(LogError) -> Int64 {
        let path = path(name, in: directory)
        guard fs.fileExists(path) else { return 0 }
        let bytes = try fs.readAll(path)
        let slots = [0, 16].compactMap { slot(bytes, at: $0) }
        guard let best = slots.max(by: { $0.value < $1.value }) else {
            if bytes.allSatisfy({ $0 == 0 }) { return 0 }
            throw LogError(.damaged, "the high-water mark file has no valid slot", location: .init(file: path))
        }
        return best.value
    }

    /// Raises the mark to `value` (durably, before returning); a lower value changes nothing.
    static func raise(_ name: String, to value: Int64, in directory: String, _ fs: any LogFileSystem) throws(LogError) {
        let path = path(name, in: directory)
        let existed = fs.fileExists(path)
        let bytes = existed ? try fs.readAll(path) : []
        let slots = [0, 16].map { slot(bytes, at: $0) }
        let current = slots.compactMap { $0 }.max(by: { $0.value < $1.value })
        guard value > current?.value ?? 0 else { return }
        // Overwrite the slot that does not hold the current value.
        let target = slots[0] != nil && slots[0]!.value == current?.value ? 16 : 0
        var record: [UInt8] = []
        record.appendBigEndian(value)
        record.appendBigEndian((current?.sequence ?? 0) &+ 1)
        record.appendBigEndian(CRC32C.checksum(record))
        let h = try fs.open(path, create: true)
        defer { fs.close(h) }
        try fs.write(h, record, at: target)
        try fs.sync(h)
        if !existed { try fs.syncDirectory(directory) }
    }

    private static func slot(_ bytes: [UInt8], at offset: Int) -> (value: Int64, sequence: UInt32)? {
        guard bytes.count >= offset + 16 else { return nil }
        let record = Array(bytes[offset..<offset + 16])
        return record.withUnsafeBytes { raw in
            let value = raw.loadBigEndian(Int64.self, at: 0)
            let sequence = raw.loadBigEndian(UInt32.self, at: 8)
            guard CRC32C.checksum(Array(record[0..<12])) == raw.loadBigEndian(UInt32.self, at: 12), value > 0 else { return nil }
            return (value, sequence)
        }
    }
}
