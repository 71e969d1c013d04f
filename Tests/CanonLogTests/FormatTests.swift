import CanonLog
import CanonTestSupport
import Foundation
import Testing

@Suite struct CRC32CTests {
    /// RFC 3720 (iSCSI) appendix B.4 and the classic check value.
    static let known: [([UInt8], UInt32)] = [
        (Array("123456789".utf8), 0xE306_9283),
        ([UInt8](repeating: 0, count: 32), 0x8A91_36AA),
        ([UInt8](repeating: 0xFF, count: 32), 0x62A8_AB43),
        ((0..<32).map { UInt8($0) }, 0x46DD_794E),
        ((0..<32).map { UInt8(31 - $0) }, 0x113F_DB5C),
        ([], 0),
    ]

    @Test func knownValues() {
        for (bytes, expected) in Self.known {
            #expect(CRC32C.checksum(bytes) == expected, "\(bytes.count) bytes")
        }
    }

    @Test func hardwareAndPortablePathsAgree() {
        var rng = SplitMix64(state: 42)
        for length in [1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000, 4097] {
            let bytes = (0..<length).map { _ in rng.byte() }
            #expect(CRC32C.checksum(bytes) == CRC32CTestAccess.portable(bytes), "length \(length)")
        }
    }
}

@Suite struct RecordBatchTests {
    /// Built with kafka-python 3.0.12's `DefaultRecordBatchBuilder` (a real peer of the v2 format): three
    /// records, a null key, a null value, a negative timestamp delta, two headers (one null).
    static let kafkaPythonBatch =
        "000000000000000000000057000000000249f24f9b0000000000020000018bcfe568000000018bcfe56805ffffffffffffffffffffffffffff0000000314000000046b310476310024000a02010a68656c6c6f0402680278026e010e00cf0f04000100"

    static let records = [
        LogRecord(key: Array("k1".utf8), value: Array("v1".utf8), timestamp: 1_700_000_000_000),
        LogRecord(
            key: nil, value: Array("hello".utf8), timestamp: 1_700_000_000_005,
            headers: [LogHeader(key: "h", value: Array("x".utf8)), LogHeader(key: "n", value: nil)]),
        LogRecord(key: [], value: nil, timestamp: 1_699_999_999_000),
    ]

    @Test func encodingEqualsKafkaPythonsBytes() {
        var batch = RecordBatch(baseOffset: 0, records: Self.records)
        batch.partitionLeaderEpoch = 0  // kafka-python's builder writes 0; the CRC does not cover it
        #expect(TestData.hex(batch.encoded()) == Self.kafkaPythonBatch)
    }

    @Test func kafkaPythonsBatchDecodes() throws {
        let batch = try RecordBatch(decoding: TestData.hexBytes(Self.kafkaPythonBatch))
        #expect(batch.records == Self.records)
        #expect(batch.lastOffset == 2)
        #expect(batch.maxTimestamp == 1_700_000_000_005)
    }

    @Test func headerLayoutIsKafkas() {
        let bytes = RecordBatch(baseOffset: 1234, records: Self.records).encoded()
        #expect(bytes.count - 12 == Int(bytes[8]) << 24 | Int(bytes[9]) << 16 | Int(bytes[10]) << 8 | Int(bytes[11]))
        #expect(Array(bytes[12..<16]) == [0xFF, 0xFF, 0xFF, 0xFF])  // leader epoch -1
        #expect(bytes[16] == 2)  // magic
        #expect(Array(bytes[0..<8]) == [0, 0, 0, 0, 0, 0, 0x04, 0xD2])
    }

    @Test func everyFlippedByteUnderTheCRCIsDetected() throws {
        let bytes = RecordBatch(baseOffset: 0, records: Self.records).encoded()
        for i in 17..<bytes.count {
            var corrupted = bytes
            corrupted[i] ^= 0x20
            let error = #expect(throws: LogError.self) { try RecordBatch(decoding: corrupted) }
            #expect(error?.code == .corruptBatch)
        }
    }

    @Test func truncatedAndMalformedBatchesAreErrorsWithPositions() throws {
        let bytes = RecordBatch(baseOffset: 0, records: Self.records).encoded()
        for length in 0..<bytes.count {
            #expect(throws: LogError.self) { try RecordBatch(decoding: Array(bytes[..<length]), position: 100) }
        }
        // A lastOffsetDelta too small for the records, with a valid CRC: offsets are checked beside the CRC.
        func withLastOffsetDelta(_ delta: UInt8) -> [UInt8] {
            var changed = bytes
            changed[26] = delta
            let crc = CRC32C.checksum(Array(changed[21...]))
            for (i, b) in withUnsafeBytes(of: crc.bigEndian, Array.init).enumerated() { changed[17 + i] = b }
            return changed
        }
        let error = #expect(throws: LogError.self) { try RecordBatch(decoding: withLastOffsetDelta(1), position: 100) }
        #expect(error?.message.contains("lastOffsetDelta") == true)
        #expect(error?.location.position == 157)
        // A larger one is a batch compaction thinned: it covers offsets its records no longer fill.
        let thinned = try RecordBatch(decoding: withLastOffsetDelta(5))
        #expect(thinned.lastOffset == 5 && thinned.records.count == 3 && !thinned.isDense)
    }

    /// A compacted batch keeps its records' offsets (gaps) and the offsets it covers; one that lost every
    /// record is an empty batch covering them. Both encode and decode exactly, and out-of-order offset
    /// deltas are refused.
    @Test func compactedBatchesKeepTheirOffsets() throws {
        let thinned = RecordBatch(
            baseOffset: 100, lastOffsetDelta: 9, records: Array(Self.records.prefix(2)), offsetDeltas: [3, 7],
            maxTimestamp: 1_700_000_000_009,
            producer: ProducerFields(id: 4, epoch: 1, baseSequence: 20))
        let decoded = try RecordBatch(decoding: thinned.encoded())
        #expect(decoded == thinned)
        #expect(
            decoded.recordsWithOffsets.map(\.offset) == [103, 107] && decoded.lastOffset == 109 && decoded.maxTimestamp == 1_700_000_000_009
        )
        #expect(decoded.producer == ProducerFields(id: 4, epoch: 1, baseSequence: 20))
        let empty = RecordBatch(baseOffset: 5, lastOffsetDelta: 40, records: [], offsetDeltas: [], maxTimestamp: 77, producer: nil)
        let emptyDecoded = try RecordBatch(decoding: empty.encoded())
        #expect(emptyDecoded.records.isEmpty && emptyDecoded.lastOffset == 45 && emptyDecoded.maxTimestamp == 77)
        let summary = try empty.encoded().withUnsafeBytes { raw in try RecordBatch.summary(of: raw) }
        #expect(summary.lastOffset == 45)
        // Offset deltas must go up.
        var backwards = thinned
        backwards.offsetDeltas = [7, 3]
        let error = #expect(throws: LogError.self) { try RecordBatch(decoding: backwards.encoded()) }
        #expect(error?.message.contains("offset delta") == true)
    }

    @Test func randomRecordsRoundTrip() throws {
        var rng = SplitMix64(state: 7)
        for _ in 0..<200 {
            let count = 1 + rng.below(20)
            let base = Int64(rng.below(1 << 30))
            let records = (0..<count).map { _ in
                LogRecord(
                    key: rng.below(4) == 0 ? nil : (0..<rng.below(40)).map { _ in rng.byte() },
                    value: rng.below(5) == 0 ? nil : (0..<rng.below(300)).map { _ in rng.byte() },
                    timestamp: Int64(bitPattern: rng.next() >> 20) - (1 << 42),
                    headers: (0..<rng.below(3)).map { i in LogHeader(key: "h\(i)é", value: rng.below(2) == 0 ? nil : [rng.byte()]) })
            }
            let batch = RecordBatch(baseOffset: base, records: records)
            let decoded = try RecordBatch(decoding: batch.encoded())
            #expect(decoded == batch)
        }
    }
}

@Suite struct PartitionerTests {
    /// `kafka.partitioner.default.murmur2` of kafka-python 3.0.12 (unsigned 32-bit), for these keys.
    static let kafkaPython: [([UInt8], UInt32)] = [
        ([], 275_646_681), (Array("a".utf8), 2_731_586_172), (Array("ab".utf8), 316_155_434), (Array("abc".utf8), 479_470_107),
        (Array("abcd".utf8), 2_971_317_748), (Array("hello world".utf8), 1_221_641_059), ([0xFF, 0xFE, 0x00], 3_662_153_412),
    ]

    @Test func murmur2MatchesKafkaPython() {
        for (key, expected) in Self.kafkaPython {
            #expect(UInt32(bitPattern: KafkaPartitioner.murmur2(key)) == expected)
        }
    }

    @Test func partitionsMatchKafkaPythonsDefaultPartitioner() throws {
        var rng = SplitMix64(state: 99)
        let keys = (0..<500).map { _ in (0..<rng.below(33)).map { _ in rng.byte() } }
        // kafka-python's DefaultPartitioner.partition, with a minimal cluster of one 12-partition topic.
        let script = """
            import sys
            from kafka.partitioner.default import DefaultPartitioner
            class Cluster:
                def topics(self): return {"t"}
                def partitions_for_topic(self, topic): return set(range(12))
                def available_partitions_for_topic(self, topic): return set(range(12))
            p = DefaultPartitioner()
            for line in sys.stdin:
                key = bytes.fromhex(line.strip())
                print(p.partition("t", key, key, None, None, Cluster()))
            """
        let input = keys.map { TestData.hex($0) }.joined(separator: "\n") + "\n"
        let result = try runProcess(python3(), ["-c", script], input: Array(input.utf8))
        #expect(result.status == 0, "\(result.stderr)")
        let theirs = result.stdoutText.split(separator: "\n").map { Int($0)! }
        #expect(theirs == keys.map { KafkaPartitioner.partition(key: $0, partitions: 12) })
    }
}

@Suite struct TopicNameTests {
    @Test(arguments: ["orders", "a", "A.b_c-9", String(repeating: "x", count: 249), "_schemas", "..."])
    func validNames(_ name: String) throws {
        try TopicName.validate(name)
    }

    @Test(arguments: ["", ".", "..", String(repeating: "x", count: 250), "a b", "orders/1", "ü", "a:b"])
    func invalidNames(_ name: String) {
        let error = #expect(throws: LogError.self) { try TopicName.validate(name) }
        #expect(error?.code == .invalidTopicName)
    }

    @Test func internalNamesStartWithAnUnderscore() {
        #expect(TopicName.isInternal("_schemas"))
        #expect(!TopicName.isInternal("schemas"))
    }
}

@Suite struct TopicConfigurationTests {
    @Test func kafkaDefaultsAndNames() throws {
        let c = try TopicConfiguration([
            "retention.ms": "-1", "segment.bytes": "4096", "canon.flush.policy": "never", "value.schema.validation": "full",
        ])
        #expect(c.retentionMs == -1)
        #expect(c.segmentBytes == 4096)
        #expect(c.flushPolicy == .never)
        #expect(c.extra == ["value.schema.validation": "full"])
        #expect(TopicConfiguration().maxMessageBytes == 1_048_588)
        #expect(try TopicConfiguration(c.settings) == c)
    }

    @Test func cleanupPolicyTakesKafkasSpellings() throws {
        #expect(TopicConfiguration().cleanupPolicy == .delete)
        #expect(try TopicConfiguration(["cleanup.policy": "compact"]).cleanupPolicy == .compact)
        for both in ["compact,delete", "delete,compact", "compact, delete"] {
            let c = try TopicConfiguration(["cleanup.policy": both, "min.cleanable.dirty.ratio": "0.1"])
            #expect(c.cleanupPolicy == .init(delete: true, compact: true) && c.minCleanableDirtyRatio == 0.1)
            #expect(c.settings["cleanup.policy"] == "compact,delete")
            #expect(try TopicConfiguration(c.settings) == c)
        }
    }

    @Test(arguments: [
        ("segment.bytes", "ten"), ("retention.ms", "-5"), ("canon.flush.policy", "sometimes"), ("cleanup.policy", "shrink"),
        ("min.cleanable.dirty.ratio", "2"), ("delete.retention.ms", "-1"),
        ("message.timestamp.type", "Now"),
    ])
    func badSettingsAreErrorsNamingTheSetting(_ name: String, _ value: String) {
        let error = #expect(throws: LogError.self) { try TopicConfiguration([name: value]) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains(name) == true)
    }
}
