import Foundation

/// Offsets a repair dropped (the file `lost-offsets`): each line `from=to` says offsets `from..<to`
/// were given out once and are gone, so the segment after them starts at `to`, not `from`. Recovery and
/// `verify` accept exactly these gaps between segments; any other gap is damage.
enum LostOffsets {
    static let fileName = "lost-offsets"
    static let header = "canon-lost-offsets 1"

    /// The recorded gaps, `from` to `to`.
    static func read(directory: String, _ fs: any LogFileSystem) throws(LogError) -> [Int64: Int64] {
        let path = "\(directory)/\(fileName)"
        guard fs.fileExists(path) else { return [:] }
        guard let pairs = SmallFile.keyValues(String(decoding: try fs.readAll(path), as: UTF8.self), header: header) else {
            throw LogError(.damaged, "not a lost-offsets file: every line must be from=to", location: .init(file: path))
        }
        var gaps: [Int64: Int64] = [:]
        for (key, value) in pairs {
            guard let from = Int64(key), let to = Int64(value), from >= 0, to > from else {
                throw LogError(.damaged, "not a lost-offsets file: '\(key)=\(value)' is not from=to", location: .init(file: path))
            }
            gaps[from] = to
        }
        return gaps
    }

    static func add(from: Int64, to: Int64, directory: String, _ fs: any LogFileSystem) throws(LogError) {
        var gaps = try read(directory: directory, fs)
        gaps[from] = to
        try SmallFile.writeDurably(
            SmallFile.text(header: header, gaps.sorted { $0.key < $1.key }.map { ("\($0.key)", "\($0.value)") }),
            to: "\(directory)/\(fileName)", fileSystem: fs)
    }
}

/// What `canon log repair` does to one damaged partition, worked out without changing anything (the
/// dry run prints it; `--apply` carries it out).
///
/// Repair cuts the damaged segment at the first bad batch and removes every later segment, as Kafka's
/// recovery does: batches after the damage may be intact, but keeping them would leave a hole inside a
/// segment that recovery could no longer tell from new damage, and consumers past the hole would
/// silently skip it. What goes is listed exactly (byte ranges, the offsets of intact batches among
/// them). No offset is given out twice: the next append gets the highest offset ever acknowledged or
/// found, and the dropped range is recorded in `lost-offsets`.
public struct RepairPlan: Sendable, Equatable {
    /// The partition directory.
    public var directory: String
    /// What is wrong.
    public var reason: String
    /// The file cut, where, and how many bytes of data go (nil when nothing is cut: records are missing).
    public var cutFile: String?
    public var cutAt: Int
    public var cutBytes: Int
    /// Later segment files removed whole, with their data sizes.
    public var removedFiles: [String]
    public var removedBytes: Int
    /// Records below this offset are kept.
    public var keptNextOffset: Int64
    /// What the acknowledged mark and checkpoint say was acknowledged.
    public var acknowledgedNextOffset: Int64
    /// Valid batches after the damage that go with it, and the offsets they held.
    public var intactBatchesDropped: Int
    public var intactOffsetsDropped: ClosedRange<Int64>?
    /// The next append's offset after the repair (never an offset given out before).
    public var resumeOffset: Int64

    /// Whether acknowledged records are lost (not only a torn, never acknowledged tail).
    public var losesAcknowledgedRecords: Bool { resumeOffset > keptNextOffset }

    /// The plan in words, one line per fact.
    public var lines: [String] {
        var out = ["\(directory): \(reason)"]
        if let cutFile, cutBytes > 0 {
            out.append("  cut \(cutFile) at byte \(cutAt): \(cutBytes) byte(s) from byte \(cutAt) to \(cutAt + cutBytes) go")
        }
        for file in removedFiles { out.append("  remove \(file)") }
        if removedBytes > 0 { out.append("  \(removedBytes) byte(s) of later segments go") }
        if let intact = intactOffsetsDropped {
            out.append(
                "  \(intactBatchesDropped) intact batch(es) after the damage go with it (offsets \(intact.lowerBound) to \(intact.upperBound))"
            )
        }
        if losesAcknowledgedRecords {
            out.append(
                "  records \(keptNextOffset) to \(resumeOffset - 1) are lost; offsets below \(keptNextOffset) are kept; "
                    + "the next record gets offset \(resumeOffset) (no offset is reused)")
        } else {
            out.append(
                "  nothing acknowledged is lost (acknowledged up to offset \(acknowledgedNextOffset - 1)); the next record gets offset \(resumeOffset)"
            )
        }
        return out
    }
}

extension PartitionLog {
    /// Works out what repair would do to the partition in `directory` (nil when it is intact), reading
    /// only.
    public static func repairPlan(directory: String, fileSystem fs: any LogFileSystem) throws(LogError) -> RepairPlan? {
        let files = SegmentFiles(directory: directory)
        let bases = try files.baseOffsets(fs)
        let lost = try LostOffsets.read(directory: directory, fs)
        let floor = try acknowledgedFloor(directory: directory, fs)
        var expected: Int64?
        var lastEnd: (path: String, validEnd: Int)?
        for (i, base) in bases.enumerated() {
            if let e = expected, e != base, lost[e] == base { expected = base }
            let path = files.logPath(baseOffset: base)
            let bytes = try fs.readAll(path)
            let scan = SegmentScan(bytes, expectedBaseOffset: expected ?? base)
            let damage: (at: Int, reason: String, resume: Int?)
            switch scan.ending {
            case .clean:
                expected = scan.nextOffset ?? (expected ?? base)
                lastEnd = (path, scan.validEnd)
                continue
            case .tornTail(let at, let reason): damage = (at, reason, nil)
            case .corruption(let at, let reason, let resume): damage = (at, reason, resume)
            }
            let kept = scan.nextOffset ?? (expected ?? base)
            var intact = 0
            var intactRange: ClosedRange<Int64>?
            func collect(_ bytes: [UInt8], from start: Int) {
                var position: Int? = start
                while let p = position, p < bytes.count {
                    let more = SegmentScan(Array(bytes[p...]), start: p)
                    intact += more.entries.count
                    for e in more.entries {
                        intactRange =
                            intactRange.map { min($0.lowerBound, e.baseOffset)...max($0.upperBound, e.lastOffset) }
                            ?? e.baseOffset...e.lastOffset
                    }
                    if case .corruption(_, _, let r) = more.ending, r > p { position = r } else { position = nil }
                }
            }
            if let resume = damage.resume { collect(bytes, from: resume) }
            let dataEnd = bytes.lastIndex { $0 != 0 }.map { $0 + 1 } ?? damage.at
            var removed: [String] = []
            var removedBytes = 0
            for later in bases[(i + 1)...] {
                let laterBytes = try fs.readAll(files.logPath(baseOffset: later))
                collect(laterBytes, from: 0)
                removed.append(files.logPath(baseOffset: later))
                removedBytes += laterBytes.count
            }
            let resume = max(kept, floor, (intactRange?.upperBound ?? -1) + 1)
            if removed.isEmpty, damage.resume == nil, kept >= floor {
                // A torn tail above everything acknowledged: recovery cuts it on every open anyway.
                return RepairPlan(
                    directory: directory, reason: "torn tail at \(path) byte \(damage.at) (\(damage.reason)), never acknowledged",
                    cutFile: path, cutAt: damage.at, cutBytes: max(0, dataEnd - damage.at), removedFiles: [], removedBytes: 0,
                    keptNextOffset: kept, acknowledgedNextOffset: floor, intactBatchesDropped: 0, intactOffsetsDropped: nil,
                    resumeOffset: resume)
            }
            return RepairPlan(
                directory: directory, reason: "damaged batch in \(path) at byte \(damage.at): \(damage.reason)", cutFile: path,
                cutAt: damage.at, cutBytes: max(0, dataEnd - damage.at), removedFiles: removed, removedBytes: removedBytes,
                keptNextOffset: kept, acknowledgedNextOffset: floor, intactBatchesDropped: intact, intactOffsetsDropped: intactRange,
                resumeOffset: resume)
        }
        let kept = expected ?? 0
        guard kept < floor else { return nil }
        let end = bases.last.map { "\(files.logPath(baseOffset: $0)) ends at offset \(kept - 1)" } ?? "no segment is left"
        // The last segment is cut at its last batch (dropping only preallocated zeros): it is sealed once
        // the segment at the resume offset follows it.
        return RepairPlan(
            directory: directory, reason: "acknowledged records \(kept) to \(floor - 1) are missing (\(end))", cutFile: lastEnd?.path,
            cutAt: lastEnd?.validEnd ?? 0, cutBytes: 0, removedFiles: [], removedBytes: 0, keptNextOffset: kept,
            acknowledgedNextOffset: floor, intactBatchesDropped: 0, intactOffsetsDropped: nil, resumeOffset: floor)
    }

    /// The acknowledged floor of a partition directory: the larger of the acknowledged mark's and the
    /// recovery checkpoint's next offsets (0 when neither is readable).
    static func acknowledgedFloor(directory: String, _ fs: any LogFileSystem) throws(LogError) -> Int64 {
        let markPath = "\(directory)/\(AcknowledgedMark.fileName)"
        let checkpointPath = "\(directory)/\(checkpointFileName)"
        let mark = fs.fileExists(markPath) ? AcknowledgedMark(try fs.readAll(markPath)) : nil
        let checkpoint =
            fs.fileExists(checkpointPath) ? RecoveryCheckpoint(String(decoding: try fs.readAll(checkpointPath), as: UTF8.self)) : nil
        return acknowledgedFloor(mark: mark, checkpoint: checkpoint)
    }

    /// The floor from a partition's mark and checkpoint, each when readable.
    static func acknowledgedFloor(mark: AcknowledgedMark?, checkpoint: RecoveryCheckpoint?) -> Int64 {
        max(mark?.nextOffset ?? 0, checkpoint?.nextOffset ?? 0)
    }

    /// Carries out the repair plan before the partition is opened: cuts, removes, records the dropped
    /// offsets, starts a new segment at the resume offset and writes the acknowledged mark there.
    func applyRepair() throws(LogError) {
        guard let plan = try Self.repairPlan(directory: directory, fileSystem: fs) else { return }
        if let cutFile = plan.cutFile {
            let h = try fs.open(cutFile, create: false)
            defer { fs.close(h) }
            try fs.truncate(h, to: plan.cutAt)
            try fs.sync(h)
        }
        for file in plan.removedFiles {
            guard let base = Int64(file.split(separator: "/").last!.dropLast(4)) else { continue }
            try files.remove(baseOffset: base, fs)
        }
        if fs.fileExists(checkpointPath) { try fs.remove(checkpointPath) }
        var markSegment = try files.baseOffsets(fs).last ?? 0
        var markPosition = plan.cutFile == nil ? 0 : plan.cutAt
        if plan.resumeOffset > plan.keptNextOffset {
            try LostOffsets.add(from: plan.keptNextOffset, to: plan.resumeOffset, directory: directory, fs)
            for suffix in SegmentFiles.suffixes {
                fs.close(try fs.open(files.stem(baseOffset: plan.resumeOffset) + suffix, create: true))
            }
            markSegment = plan.resumeOffset
            markPosition = 0
        }
        try fs.syncDirectory(directory)
        if let markHandle {
            try fs.write(
                markHandle, AcknowledgedMark(segmentBase: markSegment, position: markPosition, nextOffset: plan.resumeOffset).bytes, at: 0)
            try fs.sync(markHandle)
        }
        recoveryNotes += plan.lines.map { "repaired: \($0)" }
    }
}
