/// A named number kept durably beside the topics (the file `DIR/<name>.mark`) that only ever goes up:
/// the registry keeps the highest schema ID ever issued here, where losing or repairing its topic's
/// events cannot lower it.
///
/// The file has two 16-byte slots (the value, big-endian, a sequence number and a CRC-32C of both);
/// each raise writes the slot not holding the current value and syncs it, so a torn write leaves the
/// other slot, and reading takes the highest valid value.
enum HighWaterMark {
    static func path(_ name: String, in directory: String) -> String { "\(directory)/\(name).mark" }

    /// The open file of one mark and what its slots hold, for raising it with one write and one sync.
    final class File {
        let handle: LogFileHandle
        private(set) var value: Int64
        private var sequence: UInt32
        /// The slot holding `value` (the next write goes to the other one).
        private var slot: Int

        /// Opens (creating) the mark `name` in `directory`.
        init(_ name: String, in directory: String, _ fs: any LogFileSystem) throws(LogError) {
            let path = HighWaterMark.path(name, in: directory)
            let existed = fs.fileExists(path)
            handle = try fs.open(path, create: true)
            let bytes = try fs.read(handle, at: 0, count: 32)
            let slots = [0, 16].map { HighWaterMark.slot(bytes, at: $0) }
            let best = slots.enumerated().compactMap { i, s in s.map { (i, $0) } }.max { $0.1.value < $1.1.value }
            value = best?.1.value ?? 0
            sequence = best?.1.sequence ?? 0
            slot = best.map { $0.0 * 16 } ?? 16
            if best == nil, bytes.contains(where: { $0 != 0 }) {
                fs.close(handle)
                throw LogError(.damaged, "the high-water mark file has no valid slot", location: .init(file: path))
            }
            if !existed {
                do { try fs.syncDirectory(directory) } catch {
                    fs.close(handle)
                    throw error
                }
            }
        }

        /// Raises the mark to `value` durably (a lower value changes nothing): the slot not holding the
        /// current value is written and synced, so a torn write leaves the other.
        func raise(to newValue: Int64, _ fs: any LogFileSystem) throws(LogError) {
            guard newValue > value else { return }
            let target = slot == 0 ? 16 : 0
            var record: [UInt8] = []
            record.appendBigEndian(newValue)
            record.appendBigEndian(sequence &+ 1)
            record.appendBigEndian(CRC32C.checksum(record))
            try fs.write(handle, record, at: target)
            try fs.sync(handle)
            value = newValue
            sequence &+= 1
            slot = target
        }
    }

    static func slot(_ bytes: [UInt8], at offset: Int) -> (value: Int64, sequence: UInt32)? {
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
