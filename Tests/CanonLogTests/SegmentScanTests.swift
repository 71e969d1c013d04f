import CanonLog
import CanonLogTestKit
import CanonTestSupport
import Testing

/// Recovery's scan of a segment, driven by the fault-injecting file system: every synced (acknowledged)
/// batch survives a power cut, a torn tail is found exactly, and damage inside acknowledged data is told
/// apart from a torn tail.
@Suite struct SegmentScanTests {
    static func batch(_ base: Int64, count: Int, _ rng: inout SplitMix64) -> [UInt8] {
        RecordBatch(
            baseOffset: base,
            records: (0..<count).map { i in
                LogRecord(
                    key: [UInt8(i & 0xFF)], value: (0..<rng.below(200)).map { _ in rng.byte() }, timestamp: 1_700_000_000_000 + Int64(i))
            }
        ).encoded()
    }

    @Test func syncedBatchesSurvivePowerCutsAndTornTailsAreFoundExactly() throws {
        var rng = SplitMix64(state: 2026)
        for round in 0..<300 {
            let fs = FaultInjectingFileSystem()
            try fs.createDirectory("/d")
            let h = try fs.open("/d/seg.log", create: true)
            try fs.syncDirectory("/d")
            var position = 0
            var next: Int64 = 0
            var written: [(position: Int, base: Int64, last: Int64)] = []
            var durableCount = 0  // batches written before the last sync: the acknowledged ones
            for _ in 0..<(1 + rng.below(12)) {
                let count = 1 + rng.below(5)
                let bytes = Self.batch(next, count: count, &rng)
                try fs.write(h, bytes, at: position)
                written.append((position, next, next + Int64(count) - 1))
                if rng.below(3) != 0 {
                    try fs.sync(h)
                    durableCount = written.count
                }
                position += bytes.count
                next += Int64(count)
            }
            let acknowledged = written.prefix(durableCount)
            fs.cutPower(rng.below(2) == 0 ? .dropUnsynced : .tearUnsynced(keep: rng.below(400)))
            let scan = SegmentScan(fs.contents("/d/seg.log") ?? [], expectedBaseOffset: 0)
            // Every acknowledged batch is there, intact, with dense offsets.
            #expect(scan.entries.count >= acknowledged.count, "round \(round)")
            for (entry, ack) in zip(scan.entries, acknowledged) {
                #expect(entry.position == ack.position && entry.baseOffset == ack.base && entry.lastOffset == ack.last, "round \(round)")
            }
            for (a, b) in zip(scan.entries, scan.entries.dropFirst()) { #expect(b.baseOffset == a.lastOffset + 1) }
            // Whatever follows the valid batches is a torn tail, never reported as corruption.
            if case .corruption = scan.ending { Issue.record("round \(round): a torn tail was taken for corruption") }
        }
    }

    @Test func withoutSyncsAPowerCutLosesTheBatches() throws {
        // The same scenario with syncs disabled: acknowledged batches are gone, which the test above would catch.
        var rng = SplitMix64(state: 1)
        let fs = FaultInjectingFileSystem()
        try fs.createDirectory("/d")
        let h = try fs.open("/d/seg.log", create: true)
        try fs.syncDirectory("/d")
        fs.syncsAreNoOps = true
        try fs.write(h, Self.batch(0, count: 3, &rng), at: 0)
        try fs.sync(h)
        fs.cutPower()
        #expect(SegmentScan(fs.contents("/d/seg.log") ?? []).entries.isEmpty)
    }

    @Test func aFlippedByteInsideAnOlderBatchIsCorruptionNotATornTail() {
        var rng = SplitMix64(state: 5)
        let first = Self.batch(0, count: 3, &rng), second = Self.batch(3, count: 2, &rng), third = Self.batch(5, count: 1, &rng)
        var bytes = first + second + third
        bytes[first.count + 30] ^= 0x01
        let scan = SegmentScan(bytes, expectedBaseOffset: 0)
        #expect(scan.entries.count == 1)
        #expect(scan.ending == .corruption(position: first.count, reason: scan.endingReason, resumesAt: first.count + second.count))
    }

    @Test func offsetGapsAreCaughtBesideTheCRC() {
        var rng = SplitMix64(state: 6)
        let bytes = Self.batch(0, count: 2, &rng) + Self.batch(5, count: 2, &rng)
        let scan = SegmentScan(bytes, expectedBaseOffset: 0)
        #expect(scan.entries.count == 1)
        guard case .tornTail(_, let reason) = scan.ending else { Issue.record("expected the gap to end the valid part"); return }
        #expect(reason.contains("expected 2"))
    }

    @Test func preallocatedZerosAreTheNormalEnd() {
        var rng = SplitMix64(state: 7)
        let bytes = Self.batch(0, count: 2, &rng) + [UInt8](repeating: 0, count: 4096)
        let scan = SegmentScan(bytes)
        #expect(scan.entries.count == 1)
        #expect(scan.ending == .clean)
        #expect(scan.nextOffset == 2)
    }
}

extension SegmentScan {
    var endingReason: String {
        switch ending {
        case .clean: return ""
        case .tornTail(_, let r), .corruption(_, let r, _): return r
        }
    }
}
