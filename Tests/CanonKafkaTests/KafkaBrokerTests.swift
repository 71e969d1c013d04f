@testable import CanonCodecs
@testable import CanonKafka
import CanonCore
import CanonLog
import CanonLogTestKit
import Foundation
import Testing

/// The broker answering request frames built here byte by byte, as the protocol defines them.
@Suite struct KafkaBrokerTests {
    static func broker() async throws -> (KafkaBroker, LogEngine) {
        let log = try LogEngine(path: "/data", fileSystem: FaultInjectingFileSystem(), validator: RefusingValidator())
        try await log.createTopic("orders", partitions: 2)
        return (KafkaBroker(log: log, advertisedHost: "kafka.example", advertisedPort: 9092), log)
    }

    static func request(_ api: Int16, _ version: Int16, correlation: Int32 = 7, flexible: Bool = false, _ body: (inout KafkaWriter) -> Void)
        -> [UInt8]
    {
        var w = KafkaWriter()
        w.int16(api)
        w.int16(version)
        w.int32(correlation)
        w.nullableString("canon-test")
        if flexible { w.emptyTaggedFields() }
        body(&w)
        return w.bytes
    }

    /// A Produce request (no transactional ID) of `batches` by partition to `orders`.
    static func produceRequest(
        _ version: Int16 = 3, correlation: Int32 = 7, acks: Int16 = 1, _ batches: [(partition: Int32, bytes: [UInt8])]
    )
        -> [UInt8]
    {
        request(0, version, correlation: correlation) { w in
            w.nullableString(nil)
            w.int16(acks)
            w.int32(5000)
            w.arrayCount(1)
            w.string("orders")
            w.arrayCount(batches.count)
            for batch in batches {
                w.int32(batch.partition)
                w.nullableBytes(batch.bytes)
            }
        }
    }

    /// Produce v3 of one batch to `orders` partition 0; the partition's error code and base offset.
    static func produceV3(_ batch: [UInt8], acks: Int16 = 1, to broker: KafkaBroker) async throws -> (code: Int16, base: Int64) {
        var r = try answer(await broker.respond(to: produceRequest(acks: acks, [(0, batch)])))
        for _ in 0..<2 { _ = try r.int32() }
        _ = try r.string()
        for _ in 0..<2 { _ = try r.int32() }
        return (try r.int16(), try r.int64())
    }

    static func answer(_ reply: KafkaReply) throws -> KafkaReader {
        guard case .respond(let bytes) = reply else {
            Issue.record("expected a response, got \(reply)")
            throw KafkaDecodingError(message: "no response", offset: 0)
        }
        return KafkaReader(bytes)
    }

    @Test func apiVersionsListsEveryAPIAtEachVersionIncludingTheFlexibleOne() async throws {
        let (broker, log) = try await Self.broker()
        for version: Int16 in 0...3 {
            let frame = Self.request(18, version, flexible: version >= 3) { w in
                if version >= 3 {
                    w.string("canon-test", compact: true)
                    w.string("1.0", compact: true)
                    w.emptyTaggedFields()
                }
            }
            var r = try Self.answer(await broker.respond(to: frame))
            #expect(try r.int32() == 7)  // header v0 even for v3
            #expect(try r.int16() == 0)
            let apis = try r.array(compact: version >= 3) { r throws(KafkaDecodingError) in
                let key = try r.int16()
                let range = (try r.int16(), try r.int16())
                if version >= 3 { try r.skipTaggedFields() }
                return (key, range.0, range.1)
            }
            // What a producer, a consumer (with groups) and an admin client need, in key order.
            let keys = apis.map(\.0)
            #expect(Set<Int16>([0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 19, 20, 32, 33, 44]).isSubset(of: Set(keys)))
            #expect(keys == keys.sorted())
            let produce = try #require(apis.first { $0.0 == 0 })
            #expect(produce.1 == 3 && produce.2 == 8)
            if version >= 1 { #expect(try r.int32() == 0) }
            if version >= 3 { try r.skipTaggedFields() }
            #expect(r.remaining == 0)
        }
        await log.shutdown()
    }

    @Test func anUnknownAPIOrVersionGetsUnsupportedVersionNotASilentClose() async throws {
        let (broker, log) = try await Self.broker()
        for (api, version): (Int16, Int16) in [(42, 0), (0, 99), (18, 4), (3, 9)] {
            var r = try Self.answer(await broker.respond(to: Self.request(api, version) { _ in }))
            #expect(try r.int32() == 7)
            #expect(try r.int16() == 35, "api \(api) v\(version)")
        }
        await log.shutdown()
    }

    @Test func anUnreadableHeaderOrBodyClosesTheConnection() async throws {
        let (broker, log) = try await Self.broker()
        guard case .close = await broker.respond(to: [0, 3, 0]) else { Issue.record("a 3-byte frame was answered"); return }
        // Metadata v1 whose topic array claims two billion entries.
        let hostile = Self.request(3, 1) { $0.int32(Int32.max) }
        guard case .close(let reason) = await broker.respond(to: hostile) else { Issue.record("answered"); return }
        #expect(reason.contains("runs past the request's end"))
        await log.shutdown()
    }

    @Test func metadataNamesThisBrokerAndEveryPartition() async throws {
        let (broker, log) = try await Self.broker()
        let frame = Self.request(3, 8) { w in
            w.arrayCount(2)
            w.string("orders")
            w.string("missing")
            w.bool(false)
            w.bool(false)
            w.bool(false)
        }
        var r = try Self.answer(await broker.respond(to: frame))
        _ = try r.int32()
        #expect(try r.int32() == 0)  // throttle
        #expect(try r.int32() == 1)  // one broker
        #expect(try r.int32() == 0)
        #expect(try r.string() == "kafka.example")
        #expect(try r.int32() == 9092)
        #expect(try r.nullableString() == nil)
        #expect(try r.nullableString() == "canon")
        #expect(try r.int32() == 0)
        #expect(try r.int32() == 2)
        #expect(try r.int16() == 0)
        #expect(try r.string() == "orders")
        _ = try r.bool()
        #expect(try r.int32() == 2)  // partitions
        await log.shutdown()
    }

    /// Produce v8 built here: a batch with a refused record gets INVALID_RECORD with the record's index
    /// and reason, nothing of it is stored, and the next good batch takes the next offset.
    @Test func produceRefusesABatchWithAnInvalidRecordNamingItAndStoresNothing() async throws {
        var (broker, log) = try await Self.broker()
        let answers = Locked<[(String, [Int16])]>([])
        broker.onAnswer = { api, codes in answers.withValue { $0.append((api, codes)) } }
        func produce(_ values: [String]) async throws -> (code: Int16, base: Int64, errors: [(Int32, String?)], message: String?) {
            let records = values.map { LogRecord(key: nil, value: Array($0.utf8), timestamp: 1_700_000_000_000) }
            let frame = Self.produceRequest(8, acks: -1, [(1, RecordBatch(baseOffset: 0, records: records).encoded())])
            var r = try Self.answer(await broker.respond(to: frame))
            _ = try r.int32()
            #expect(try r.int32() == 1)
            #expect(try r.string() == "orders")
            #expect(try r.int32() == 1)
            #expect(try r.int32() == 1)
            let code = try r.int16()
            let base = try r.int64()
            _ = try r.int64()
            _ = try r.int64()
            let errors = try r.array { r throws(KafkaDecodingError) in (try r.int32(), try r.nullableString()) }
            let message = try r.nullableString()
            #expect(try r.int32() == 0)
            #expect(r.remaining == 0)
            return (code, base, errors, message)
        }
        let first = try await produce(["a", "b"])
        #expect(first.code == 0 && first.base == 0)
        let refused = try await produce(["c", "bad d", "e"])
        #expect(refused.code == 87)
        #expect(refused.errors.count == 1 && refused.errors[0].0 == 1 && refused.errors[0].1 == "value starts with 'bad'")
        #expect(refused.message?.isEmpty == false)
        let next = try await produce(["f"])
        #expect(next.code == 0 && next.base == 2)
        #expect(answers.withValue { $0.map(\.0) } == ["produce", "produce", "produce"])
        #expect(answers.withValue { $0.map(\.1) } == [[0], [87], [0]])
        #expect(try await log.partitions(of: "orders")[1].nextOffset == 3)
        await log.shutdown()
    }

    @Test func aCorruptBatchIsCorruptMessage() async throws {
        let (broker, log) = try await Self.broker()
        var batch = RecordBatch(baseOffset: 0, records: [LogRecord(key: nil, value: [1], timestamp: 0)]).encoded()
        batch[batch.count - 1] ^= 0xFF  // breaks the CRC
        #expect(try await Self.produceV3(batch, to: broker).code == 2)
        // Gaps in offsets are compaction's: a producer's batch with them is refused too.
        let thinned = RecordBatch(
            baseOffset: 0, lastOffsetDelta: 3, records: [LogRecord(key: [1], value: [1], timestamp: 0)], offsetDeltas: [2], maxTimestamp: 0,
            producer: nil)
        #expect(try await Self.produceV3(thinned.encoded(), to: broker).code == 2)
        #expect(try await log.partitions(of: "orders")[0].nextOffset == 0)
        await log.shutdown()
    }

    /// IncrementalAlterConfigs sets a topic setting (the log then holds it); deleting one is refused with
    /// INVALID_CONFIG naming the setting; DescribeConfigs v3 shows the value as a dynamic topic setting.
    @Test func configsAreSetThroughTheLogAndDescribed() async throws {
        let (broker, log) = try await Self.broker()
        func alter(_ operation: Int8, _ value: String?) async throws -> (Int16, String?) {
            let frame = Self.request(44, 0) { w in
                w.arrayCount(1)
                w.int8(2)
                w.string("orders")
                w.arrayCount(1)
                w.string("retention.ms")
                w.int8(operation)
                w.nullableString(value)
                w.bool(false)
            }
            var r = try Self.answer(await broker.respond(to: frame))
            _ = try r.int32()
            _ = try r.int32()
            #expect(try r.int32() == 1)
            return (try r.int16(), try r.nullableString())
        }
        #expect(try await alter(0, "3600000").0 == 0)
        #expect(try await log.topic("orders")?.configuration.retentionMs == 3_600_000)
        let deleted = try await alter(1, nil)
        #expect(deleted.0 == 40 && deleted.1?.contains("retention.ms") == true)

        let describe = Self.request(32, 3) { w in
            w.arrayCount(1)
            w.int8(2)
            w.string("orders")
            w.arrayCount(1)
            w.string("retention.ms")
            w.bool(false)
            w.bool(false)
        }
        var r = try Self.answer(await broker.respond(to: describe))
        _ = try r.int32()
        _ = try r.int32()
        #expect(try r.int32() == 1)
        #expect(try r.int16() == 0)
        _ = try r.nullableString()
        #expect(try r.int8() == 2)
        #expect(try r.string() == "orders")
        #expect(try r.int32() == 1)
        #expect(try r.string() == "retention.ms")
        #expect(try r.nullableString() == "3600000")
        #expect(try r.bool() == false)
        #expect(try r.int8() == 1)  // DYNAMIC_TOPIC_CONFIG
        await log.shutdown()
    }

    /// A batch whose records section is `compressed`, marked with `codec`, length and CRC made right.
    static func compressedBatch(_ compressed: [UInt8], codec: UInt8, count: Int32 = 1) -> [UInt8] {
        var bytes =
            Array(RecordBatch(baseOffset: 0, records: [LogRecord(key: nil, value: [1], timestamp: 0)]).encoded()[0..<61]) + compressed
        bytes[22] = (bytes[22] & ~0x07) | codec
        bytes.setBigEndian(count, at: 57)
        bytes.setBigEndian(Int32(bytes.count - 12), at: 8)
        bytes.setBigEndian(bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[21...])) }, at: 17)
        return bytes
    }

    /// Hostile compressed batches: one that would decompress past the limit, a codec Kafka lacks, and
    /// bytes that are not the codec's, are refused (CORRUPT_MESSAGE, UNSUPPORTED_COMPRESSION_TYPE) and
    /// store nothing; a good snappy batch is taken.
    @Test func hostileCompressedBatchesAreRefusedWithinTheLimit() async throws {
        var (broker, log) = try await Self.broker()
        broker.maximumDecompressedBytes = 1 << 20
        func produce(_ batch: [UInt8]) async throws -> Int16 { try await Self.produceV3(batch, to: broker).code }
        let bomb = Snappy.compress([UInt8](repeating: 0, count: 4 << 20))
        #expect(bomb.count < 300_000)
        #expect(try await produce(Self.compressedBatch(bomb, codec: 2)) == 2)
        #expect(try await produce(Self.compressedBatch([1, 2, 3], codec: 5)) == 76)
        #expect(try await produce(Self.compressedBatch([0xFF, 0xFF, 0xFF, 0xFF], codec: 4)) == 2)
        #expect(try await produce(Self.compressedBatch([0x1F, 0x8B, 0, 0], codec: 1)) == 2)
        // A header claiming 2^31 - 1 records for a few compressed bytes: refused before room is made for them.
        let oneRecord: [UInt8] = [0x0E, 0x00, 0x00, 0x00, 0x01, 0x02, 0x76, 0x00]
        var claiming = Self.compressedBatch(Snappy.compress(oneRecord), codec: 2, count: .max)
        claiming.setBigEndian(Int32.max - 1, at: 23)  // lastOffsetDelta, so the header agrees with itself
        claiming.setBigEndian(claiming.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[21...])) }, at: 17)
        #expect(try await produce(claiming) == 2)
        #expect(try await log.partitions(of: "orders")[0].nextOffset == 0)

        // One record (length, attributes, timestamp and offset deltas, key -1, value "v", no headers), snappy.
        let record: [UInt8] = [0x0E, 0x00, 0x00, 0x00, 0x01, 0x02, 0x76, 0x00]
        #expect(try await produce(Self.compressedBatch(Snappy.compress(record), codec: 2)) == 0)
        let stored = try await log.read(topic: "orders", partition: 0, from: 0)
        #expect(stored.first?.records.first?.value == [0x76])
        await log.shutdown()
    }

    /// InitProducerId issues IDs above a durable mark; an idempotent producer's retried batch is answered
    /// with its first offset and written once; a gap in sequence numbers or an older epoch is refused.
    @Test func idempotentProducersGetFreshIDsAndRetriesAreWrittenOnce() async throws {
        let (broker, log) = try await Self.broker()
        func initProducerID() async throws -> (Int16, Int64) {
            var r = try Self.answer(
                await broker.respond(
                    to: Self.request(22, 1) { w in
                        w.nullableString(nil)
                        w.int32(60000)
                    }))
            _ = try r.int32()
            _ = try r.int32()
            return (try r.int16(), try r.int64())
        }
        let first = try await initProducerID(), second = try await initProducerID()
        #expect(first.0 == 0 && second.0 == 0 && second.1 > first.1)
        #expect(try await log.highWaterMark(ProducerState.idMark) >= second.1)

        func batch(_ values: [String], epoch: Int16 = 0, sequence: Int32) -> [UInt8] {
            var b = RecordBatch(baseOffset: 0, records: values.map { LogRecord(key: nil, value: Array($0.utf8), timestamp: 0) })
            b.producerId = first.1
            b.producerEpoch = epoch
            b.baseSequence = sequence
            return b.encoded()
        }
        func produce(_ bytes: [UInt8]) async throws -> (Int16, Int64) { try await Self.produceV3(bytes, acks: -1, to: broker) }
        #expect(try await produce(batch(["a", "b"], sequence: 0)) == (0, 0))
        #expect(try await produce(batch(["c"], sequence: 2)) == (0, 2))
        #expect(try await produce(batch(["a", "b"], sequence: 0)) == (0, 0), "a retry is answered with its first offset")
        #expect(try await produce(batch(["e"], sequence: 9)).0 == 45)
        #expect(try await produce(batch(["f"], epoch: 1, sequence: 0)) == (0, 3), "a new epoch starts again at 0")
        #expect(try await produce(batch(["g"], epoch: 0, sequence: 4)).0 == 47)
        #expect(try await log.partitions(of: "orders")[0].nextOffset == 4)
        await log.shutdown()
    }

    /// The producer's fields are stored with its batches: after a restart, a retry of the last batch is
    /// still answered with its first offset and not written again, and the sequence goes on from there.
    @Test func anIdempotentProducersSequenceSurvivesARestart() async throws {
        let fs = FaultInjectingFileSystem()
        func batch(_ values: [String], sequence: Int32) -> [UInt8] {
            RecordBatch(
                baseOffset: 0, records: values.map { LogRecord(key: nil, value: Array($0.utf8), timestamp: 0) },
                producer: ProducerFields(id: 5, epoch: 0, baseSequence: sequence)
            ).encoded()
        }
        do {
            let log = try LogEngine(path: "/data", fileSystem: fs)
            try await log.createTopic("orders", partitions: 1)
            let broker = KafkaBroker(log: log, advertisedHost: "h", advertisedPort: 1)
            #expect(try await Self.produceV3(batch(["a", "b"], sequence: 0), acks: -1, to: broker) == (0, 0))
            #expect(try await Self.produceV3(batch(["c"], sequence: 2), acks: -1, to: broker) == (0, 2))
            let stored = try await log.read(topic: "orders", partition: 0, from: 0)
            #expect(stored.map(\.producerId) == [5, 5] && stored.map(\.baseSequence) == [0, 2])
            await log.shutdown()
        }
        let log = try LogEngine(path: "/data", fileSystem: fs)
        let broker = KafkaBroker(log: log, advertisedHost: "h", advertisedPort: 1)
        #expect(try await Self.produceV3(batch(["c"], sequence: 2), acks: -1, to: broker) == (0, 2), "a retry after the restart")
        #expect(try await Self.produceV3(batch(["e"], sequence: 7), acks: -1, to: broker).code == 45)
        #expect(try await Self.produceV3(batch(["d"], sequence: 3), acks: -1, to: broker) == (0, 3))
        #expect(try await log.partitions(of: "orders")[0].nextOffset == 4)
        await log.shutdown()
    }

    /// A Produce whose partitions mix an idempotent producer's batch and a plain one writes both (the
    /// request is taken in one step, for the producer's sequence, and the plain batch with it).
    @Test func aProduceMixingIdempotentAndPlainBatchesWritesBoth() async throws {
        let (broker, log) = try await Self.broker()
        let idempotent = RecordBatch(
            baseOffset: 0, records: [LogRecord(key: nil, value: [1], timestamp: 0)],
            producer: ProducerFields(id: 5, epoch: 0, baseSequence: 0))
        let plain = RecordBatch(baseOffset: 0, records: [LogRecord(key: nil, value: [2], timestamp: 0)])
        let frame = Self.produceRequest(acks: -1, [(0, idempotent.encoded()), (1, plain.encoded())])
        var r = try Self.answer(await broker.respond(to: frame))
        _ = try r.int32()
        #expect(try r.int32() == 1)
        _ = try r.string()
        #expect(try r.int32() == 2)
        for partition in [Int32(0), 1] {
            #expect(try r.int32() == partition)
            #expect(try r.int16() == 0)
            #expect(try r.int64() == 0)
            _ = try r.int64()
        }
        #expect(try await log.partitions(of: "orders").map(\.nextOffset) == [1, 1])
        await log.shutdown()
    }

    /// A plain batch (no compression, CreateTime) is stored byte for byte as the producer sent it, but
    /// for its base offset: here its header's max timestamp and leader epoch, which an encoding of its
    /// records would not give, come back from the log.
    @Test func aPlainBatchIsStoredAsItWasSent() async throws {
        let (broker, log) = try await Self.broker()
        var sent = RecordBatch(baseOffset: 0, records: [LogRecord(key: [1], value: [2], timestamp: 10)])
        sent.maxTimestamp = 99
        sent.partitionLeaderEpoch = 7
        #expect(try await Self.produceV3(sent.encoded(), to: broker) == (0, 0))
        let stored = try #require(try await log.read(topic: "orders", partition: 0, from: 0).first)
        #expect(stored.maxTimestamp == 99 && stored.partitionLeaderEpoch == 7)
        #expect(stored.records == sent.records)
        await log.shutdown()
    }

    /// Fetch v4 of `orders` partition 0 from `offset`: the error code and the records section.
    static func fetchV4(from offset: Int64, to broker: KafkaBroker) async throws -> (code: Int16, records: [UInt8]?) {
        let frame = request(1, 4) { w in
            w.int32(-1)
            w.int32(0)  // max_wait_ms
            w.int32(1)  // min_bytes
            w.int32(1 << 20)
            w.int8(0)
            w.arrayCount(1)
            w.string("orders")
            w.arrayCount(1)
            w.int32(0)
            w.int64(offset)
            w.int32(1 << 20)
        }
        var r = try answer(await broker.respond(to: frame))
        for _ in 0..<2 { _ = try r.int32() }  // correlation ID, throttle
        #expect(try r.int32() == 1)
        _ = try r.string()
        #expect(try r.int32() == 1)
        _ = try r.int32()
        let code = try r.int16()
        for _ in 0..<2 { _ = try r.int64() }
        _ = try r.int32()  // aborted transactions
        return (code, try r.nullableBytes())
    }

    /// A compressed batch is stored as the producer sent it (the codec's bytes, not its records encoded
    /// again), survives a restart (recovery checks it like any batch), and Fetch serves those bytes
    /// unchanged; reads that want records decompress it.
    @Test func aCompressedBatchIsStoredAndFetchedAsItWasSent() async throws {
        let fs = FaultInjectingFileSystem()
        let records = (0..<3).map { LogRecord(key: [UInt8($0)], value: Array("value \($0)".utf8), timestamp: 1000 + Int64($0)) }
        let plain = RecordBatch(baseOffset: 0, records: records).encoded()
        var sent = Self.compressedBatch(Snappy.compress(Array(plain[61...])), codec: 2, count: 3)
        sent.setBigEndian(Int32(2), at: 23)  // lastOffsetDelta
        sent.setBigEndian(Int64(1000), at: 27)  // base timestamp
        sent.setBigEndian(Int64(1002), at: 35)  // max timestamp
        sent.setBigEndian(sent.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[21...])) }, at: 17)
        do {
            let log = try LogEngine(path: "/data", fileSystem: fs)
            try await log.createTopic("orders", partitions: 1)
            let broker = KafkaBroker(log: log, advertisedHost: "h", advertisedPort: 1)
            let older = RecordBatch(baseOffset: 0, records: records.map { LogRecord(key: $0.key, value: $0.value, timestamp: 5) })
            #expect(try await Self.produceV3(older.encoded(), to: broker) == (0, 0))
            #expect(try await Self.produceV3(sent, to: broker) == (0, 3))
            await log.shutdown()
        }
        let log = try LogEngine(path: "/data", fileSystem: fs)
        let broker = KafkaBroker(log: log, advertisedHost: "h", advertisedPort: 1)
        var expected = sent
        expected.setBigEndian(Int64(3), at: 0)  // the base offset the log stamped
        let stored = try await log.readStored(topic: "orders", partition: 0, from: 3, maxBytes: 1 << 20)
        #expect(stored.batches.map(\.bytes) == [expected])
        #expect(stored.status.visibleEndOffset == 6)
        let fetched = try await Self.fetchV4(from: 3, to: broker)
        #expect(fetched.code == 0)
        #expect(fetched.records == expected, "Fetch serves the stored snappy batch as it is")
        let decoded = try await log.read(topic: "orders", partition: 0, from: 0)
        #expect(decoded.map(\.baseOffset) == [0, 3])
        #expect(decoded.last?.records == records && decoded.last?.attributes == 2)
        #expect(try await log.offset(topic: "orders", partition: 0, forTimestamp: 1001) == 4, "ListOffsets by time reads inside it")
        #expect(try await Self.fetchV4(from: 7, to: broker).code == 1, "OFFSET_OUT_OF_RANGE beyond the end")
        await log.shutdown()
    }

    /// A string longer than an int16 length holds is cut at a character boundary, so the frame stays whole.
    @Test func aTooLongStringIsCutAtACharacterNotLeftToCorruptTheFrame() throws {
        var w = KafkaWriter()
        w.nullableString(String(repeating: "é", count: 20_000))  // 40,000 bytes
        w.int32(42)
        var r = KafkaReader(w.bytes)
        let text = try #require(try r.nullableString())
        #expect(text.utf8.count == 32_766 && text.allSatisfy { $0 == "é" })
        #expect(try r.int32() == 42)
    }
}
