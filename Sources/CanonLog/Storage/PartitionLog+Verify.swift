import Foundation

/// Checking a partition directory offline (`canon log verify`).
extension PartitionLog {
    /// Checks a partition directory's files without changing or recovering anything: every batch's CRC,
    /// offsets and continuity across segments, and the index files: every offset entry names the start
    /// and base offset of a batch, every time entry the last offset of a batch and the largest timestamp
    /// up to it, and a sealed segment's last time entry its largest timestamp. For the active segment,
    /// only the entries its recovery checkpoint vouches for count (later ones are rebuilt on open).
    /// Returns the number of batches and the problems, each naming file and position; it stops at the
    /// first damaged batch.
    public static func verifyFiles(directory: String, fileSystem fs: any LogFileSystem) throws(LogError) -> (
        batches: Int, problems: [String]
    ) {
        let files = SegmentFiles(directory: directory)
        let bases = try files.baseOffsets(fs)
        let checkpointFile = "\(directory)/\(checkpointFileName)"
        let checkpoint =
            fs.fileExists(checkpointFile) ? RecoveryCheckpoint(String(decoding: try fs.readAll(checkpointFile), as: UTF8.self)) : nil
        var problems: [String] = []
        var batches = 0
        var expected: Int64?
        let lost = try LostOffsets.read(directory: directory, fs)
        let floor = try acknowledgedFloor(directory: directory, fs)
        if let checkpoint {
            let path = files.logPath(baseOffset: checkpoint.baseOffset)
            if !fs.fileExists(path) {
                problems.append("\(checkpointFile) names \(path), which is missing")
            } else if try Self.fileSize(path, fs) < checkpoint.position {
                problems.append("\(checkpointFile) says \(checkpoint.position) bytes of \(path) are durable; the file is shorter")
            }
        }
        for (i, base) in bases.enumerated() {
            if let e = expected, e != base, lost[e] == base { expected = base }
            let stem = files.stem(baseOffset: base)
            let path = stem + ".log"
            let bytes = try fs.readAll(path)
            let scan = SegmentScan(bytes, expectedBaseOffset: expected ?? base)
            batches += scan.entries.count
            switch scan.ending {
            case .clean: break
            case .tornTail(let at, let reason), .corruption(let at, let reason, _):
                let reached = scan.nextOffset ?? (expected ?? base)
                let below = reached < floor ? " (acknowledged records \(reached) to \(floor - 1) are behind it)" : ""
                problems.append("\(path) at byte \(at): \(reason)\(below)")
                return (batches, problems)
            }
            let isSealed = i < bases.count - 1
            var offsetBytes = fs.fileExists(stem + ".index") ? try fs.readAll(stem + ".index") : []
            var timeBytes = fs.fileExists(stem + ".timeindex") ? try fs.readAll(stem + ".timeindex") : []
            if !isSealed, let checkpoint, checkpoint.baseOffset == base {
                offsetBytes = Array(offsetBytes.prefix(checkpoint.offsetEntries * 8))
                timeBytes = Array(timeBytes.prefix(checkpoint.timeEntries * 12))
            }
            guard let index = SegmentIndex.decode(offsets: offsetBytes, times: timeBytes, segmentSize: max(scan.validEnd, 1)) else {
                problems.append("\(stem).index or .timeindex is not sane (size, order or positions)")
                continue
            }
            let byPosition = Dictionary(scan.entries.map { ($0.position, $0.baseOffset) }, uniquingKeysWith: { a, _ in a })
            for e in index.offsets where byPosition[Int(e.position)] != base + Int64(e.relativeOffset) {
                problems.append(
                    "\(stem).index: entry for offset \(base + Int64(e.relativeOffset)) at byte \(e.position) names no batch of \(path)")
                break
            }
            var runningMax: Int64 = -1
            var maxThrough: [Int64: Int64] = [:]
            for entry in scan.entries {
                runningMax = max(runningMax, entry.maxTimestamp)
                maxThrough[entry.lastOffset] = runningMax
            }
            for e in index.times where maxThrough[base + Int64(e.relativeOffset)] != e.timestamp {
                problems.append(
                    "\(stem).timeindex: entry (\(e.timestamp), offset \(base + Int64(e.relativeOffset))) does not match the batches of \(path)"
                )
                break
            }
            if isSealed, runningMax >= 0, index.times.last?.timestamp != runningMax {
                problems.append("\(stem).timeindex: the last entry is not the segment's largest timestamp \(runningMax)")
            }
            expected = scan.nextOffset ?? expected ?? base
        }
        let reached = expected ?? 0
        if reached < floor {
            let end = bases.last.map { files.logPath(baseOffset: $0) } ?? "no segment"
            problems.append(
                "\(directory): acknowledged records \(reached) to \(floor - 1) are missing (the log ends at offset \(reached - 1) in \(end))"
            )
        }
        return (batches, problems)
    }

    static func fileSize(_ path: String, _ fs: any LogFileSystem) throws(LogError) -> Int {
        let h = try fs.open(path, create: false)
        defer { fs.close(h) }
        return try fs.size(h)
    }
}
