@testable import CanonKafka
import CanonCore
import CanonLog
import CanonLogTestKit
import CanonTestSupport
import Foundation
import Testing

/// Real Kafka clients against the Kafka door: kcat (Debian's), confluent-kafka (librdkafka) and
/// kafka-python, each producing and reading back; a record the topic's validation refuses fails its
/// delivery with INVALID_RECORD while the others land.
@Suite(.serialized) struct KafkaClientTests {
    static func lines(_ text: String) throws -> [JSONValue] {
        try text.split(separator: "\n").map { try JSONReader.parse(String($0)) }
    }

    static func kcat() -> String? {
        ["/usr/bin/kcat", "/usr/local/bin/kcat"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    @Test func kcatProducesAndConsumes() async throws {
        let kcat = try #require(Self.kcat(), "kcat is not installed (.ci/run installs it)")
        try await withKafkaServer { port, log in
            let broker = "127.0.0.1:\(port)"
            // -m 30: kcat gives up on metadata after 5 s by default; the whole suite shares two cooperative
            // threads with this in-process door, and CPU-bound tests can hold them that long.
            let listing = try await runProcessDetached(kcat, ["-b", broker, "-L", "-J", "-m", "30"])
            #expect(listing.status == 0, "\(listing.stderr)")
            let metadata = try JSONReader.parse(listing.stdoutText)
            guard case .array(let topics)? = metadata["topics"] else { Issue.record("no topics: \(listing.stdoutText)"); return }
            #expect(topics.compactMap { $0["topic"]?.stringValue } == ["orders"])

            let produced = try await runProcessDetached(
                kcat, ["-b", broker, "-P", "-t", "orders", "-p", "0", "-K", ":"], input: Array("a:one\nb:two\nc:three\n".utf8))
            #expect(produced.status == 0, "\(produced.stderr)")
            #expect(try await log.partitions(of: "orders")[0].nextOffset == 3)
            let consumed = try await runProcessDetached(
                kcat, ["-b", broker, "-C", "-t", "orders", "-p", "0", "-o", "beginning", "-e", "-f", "%o %k %s\n"])
            #expect(consumed.status == 0, "\(consumed.stderr)")
            #expect(consumed.stdoutText == "0 a one\n1 b two\n2 c three\n")
        }
    }

    @Test func confluentKafkaGetsOffsetsAndInvalidRecordForTheRefusedOne() async throws {
        try await withKafkaServer { port, log in
            let out = try await pythonPeerDetached(
                "kafka_clients.py", ["confluent-produce", "127.0.0.1:\(port)", "orders", "good-1", "bad-2", "good-3"])
            let reports = try Self.lines(out)
            #expect(reports.map { $0["value"]?.stringValue } == ["good-1", "bad-2", "good-3"])
            #expect(reports.map { $0["error"] } == [.null, .string("INVALID_RECORD"), .null])
            #expect(reports[0]["offset"] == .int(0) && reports[2]["offset"] == .int(1))
            #expect(try await log.partitions(of: "orders")[0].nextOffset == 2)

            let read = try Self.lines(
                try await pythonPeerDetached("kafka_clients.py", ["confluent-consume", "127.0.0.1:\(port)", "orders", "0", "2"]))
            #expect(read.map { $0["value"]?.stringValue } == ["good-1", "good-3"])
            #expect(read.map { $0["key"]?.stringValue } == ["k0", "k2"])
        }
    }

    /// kafka-python's admin client: CreateTopics with a validation setting, TopicAlreadyExists, a
    /// misspelt setting refused by the validator's check, DescribeConfigs, DeleteTopics.
    @Test func kafkaPythonsAdminClientCreatesDescribesGrowsAndDeletesTopics() async throws {
        try await withKafkaServer { port, log in
            let steps = try Self.lines(
                try await pythonPeerDetached("kafka_clients.py", ["kafka-python-admin", "127.0.0.1:\(port)", "audits"]))
            let byStep = Dictionary(uniqueKeysWithValues: steps.compactMap { s in s["step"]?.stringValue.map { ($0, s) } })
            #expect(byStep["create"]?["ok"] == .bool(true), "\(steps)")
            #expect(byStep["create-again"]?["error"] == .string("TopicAlreadyExistsError"), "\(steps)")
            #expect(byStep["create-typo"]?["error"] == .string("InvalidConfigurationError"), "\(steps)")
            #expect(byStep["describe"]?["result"]?["value.schema.validation"] == .string("full"), "\(steps)")
            #expect(byStep["grow"]?["ok"] == .bool(true), "\(steps)")
            #expect(byStep["shrink"]?["error"] == .string("InvalidPartitionsError"), "\(steps)")
            #expect(byStep["partitions"]?["result"] == .int(5), "\(steps)")
            #expect(byStep["delete"]?["ok"] == .bool(true), "\(steps)")
            let audits = try await log.topic("audits"), typo = try await log.topic("audits-typo")
            #expect(audits == nil && typo == nil)
        }
    }

    /// Every codec confluent-kafka compresses with: the batch is decompressed, its records validated
    /// (a refused one fails the whole batch) and the batch stored as sent, and a consumer reads them back.
    @Test(arguments: ["gzip", "snappy", "lz4", "zstd"])
    func compressedBatchesAreValidatedAndReadBack(codec: String) async throws {
        try await withKafkaServer { port, log in
            let values = (0..<50).map { "value \($0) " + String(repeating: "compressible ", count: 20) }
            let reports = try Self.lines(
                try await pythonPeerDetached(
                    "kafka_clients.py", ["confluent-produce-compressed", "127.0.0.1:\(port)", "orders", codec] + values))
            #expect(reports.count == 50 && reports.allSatisfy { $0["error"] == .null }, "\(reports.prefix(2))")
            #expect(try await log.partitions(of: "orders")[0].nextOffset == 50)
            // Stored as sent: every batch keeps the producer's codec (and consumers decompress it).
            let stored = try await log.readStored(topic: "orders", partition: 0, from: 0, maxBytes: 1 << 24).batches
            let codecs = Set(stored.map { BatchCompression.name(ofCodec: Int($0.bytes[22] & 0x07)) })
            #expect(codecs == [codec], "stored codecs \(codecs)")
            let read = try Self.lines(
                try await pythonPeerDetached("kafka_clients.py", ["confluent-consume", "127.0.0.1:\(port)", "orders", "0", "50"]))
            #expect(read.map { $0["value"]?.stringValue } == values)

            let refused = try Self.lines(
                try await pythonPeerDetached(
                    "kafka_clients.py", ["confluent-produce-compressed", "127.0.0.1:\(port)", "orders", codec, "good", "bad one", "good"]))
            #expect(refused.map { $0["error"]?.stringValue } == ["INVALID_RECORD", "INVALID_RECORD", "INVALID_RECORD"])
            #expect(try await log.partitions(of: "orders")[0].nextOffset == 50)
        }
    }

    /// A topic with `cleanup.policy=compact`: confluent-kafka writes keys over and over (each record its
    /// own batch, so sealed segments hold batches that lose every record); after a cleaning,
    /// confluent-kafka and kafka-python read exactly the last value of each key at its original offset,
    /// across the gaps and empty batches compaction leaves, and again after a restart of the server.
    @Test func aCompactedTopicKeepsTheLastValuePerKeyAcrossRestarts() async throws {
        let fileSystem = FaultInjectingFileSystem()
        let pairs =
            (0..<6).flatMap { round in ["alice", "bob", "carol", "dave"].map { "\($0)=\($0) v\(round)" } }
            + ["bob", "erin=erin v0", "alice=alice last"]  // a tombstone for bob
            + (0..<8).map { "filler\($0)=" + String(repeating: "x", count: 200) }  // seals the segments above
        // The last record per key, by offset; fillers are all unique, so they all stay.
        let expected = Dictionary(
            pairs.enumerated().map { (offset, pair) -> (String, (offset: Int64, value: String?)) in
                let parts = pair.split(separator: "=", maxSplits: 1)
                return (String(parts[0]), (Int64(offset), parts.count == 2 ? String(parts[1]) : nil))
            }, uniquingKeysWith: { $1 })
        @Sendable func check(_ rows: [JSONValue], _ who: String) {
            let read = rows.map {
                "\($0["offset"]?.int64Value ?? -1) \($0["key"]?.stringValue ?? "") \($0["value"]?.stringValue ?? "null")"
            }
            let want = expected.sorted { $0.value.offset < $1.value.offset }.map {
                "\($0.value.offset) \($0.key) \($0.value.value ?? "null")"
            }
            #expect(read == want, "\(who)")
        }
        try await withKafkaServer(topics: [:], fileSystem: fileSystem) { port, log in
            try await log.createTopic(
                "users", partitions: 1, configuration: try TopicConfiguration(["cleanup.policy": "compact", "segment.bytes": "1200"]))
            let reports = try Self.lines(
                try await pythonPeerDetached("kafka_clients.py", ["confluent-produce-keyed", "127.0.0.1:\(port)", "users"] + pairs))
            #expect(reports.count == pairs.count && reports.allSatisfy { $0["error"] == .null }, "\(reports.prefix(3))")
            let report = try #require(try await log.compact(topic: "users", partition: 0))
            #expect(report.recordsRemoved >= 20 && report.segmentsAfter < report.segmentsBefore, "\(report)")
            // Fillers are in the active segment and the cleaning covers only sealed ones: all but the
            // active segment's records are down to one per key.
            let stored = try await log.read(topic: "users", partition: 0, from: 0)
            #expect(stored.contains { $0.records.isEmpty }, "batches that lost every record are kept empty, covering their offsets")
            check(
                try Self.lines(
                    try await pythonPeerDetached(
                        "kafka_clients.py", ["confluent-consume", "127.0.0.1:\(port)", "users", "0", "\(expected.count)"])),
                "confluent-kafka")
        }
        try await withKafkaServer(topics: [:], fileSystem: fileSystem) { port, log in
            #expect(try await log.topic("users")?.configuration.cleanupPolicy == .compact)
            check(
                try Self.lines(
                    try await pythonPeerDetached(
                        "kafka_clients.py", ["confluent-consume", "127.0.0.1:\(port)", "users", "0", "\(expected.count)"])),
                "confluent-kafka after a restart")
            check(
                try Self.lines(try await pythonPeerDetached("kafka_clients.py", ["kafka-python-consume", "127.0.0.1:\(port)", "users"])),
                "kafka-python after a restart")
        }
    }

    /// Three confluent-kafka consumers of one group (subscribe) read every record exactly once, committing
    /// as they go; when one leaves, the others take its partitions from the committed offsets; after a
    /// restart of the server a consumer of the group starts where the group left off.
    @Test func aConsumerGroupReadsEveryRecordOnceRebalancesAndResumesAfterARestart() async throws {
        let fileSystem = FaultInjectingFileSystem()
        @Sendable func reads(_ output: String) throws -> [(consumer: Int, value: String)] {
            guard case .array(let rows)? = try JSONReader.parse(output)["reads"] else { return [] }
            return rows.compactMap { row in
                guard case .array(let pair) = row, pair.count == 2, let c = pair[0].int64Value, let v = pair[1].stringValue else {
                    return nil
                }
                return (Int(c), v)
            }
        }
        try await withKafkaServer(topics: ["events": 3], fileSystem: fileSystem) { port, _ in
            let first = try reads(
                try await pythonPeerDetached("kafka_clients.py", ["confluent-group", "127.0.0.1:\(port)", "events", "g1", "first"]))
            let values = first.map(\.value)
            #expect(Set(values).count == values.count, "a record was read twice")
            #expect(Set(values) == Set((0..<60).map { "a\($0)" } + (0..<30).map { "b\($0)" }))
            #expect(Set(first.prefix(60).map(\.consumer)).count >= 2, "the first records were not shared by the group")
            #expect(Set(first.dropFirst(60).filter { $0.consumer != 0 }.map(\.value)).count >= 25, "the others did not take over")
        }
        try await withKafkaServer(topics: [:], fileSystem: fileSystem) { port, _ in
            let after = try reads(
                try await pythonPeerDetached("kafka_clients.py", ["confluent-group", "127.0.0.1:\(port)", "events", "g1", "after-restart"]))
            #expect(after.map(\.value).sorted() == (0..<15).map { "c\($0)" }.sorted(), "\(after.prefix(5))")
        }
    }

    /// confluent-kafka with enable.idempotence=true: InitProducerId, sequence numbers, every record once;
    /// a record the validation refuses fails its delivery and the producer goes on (librdkafka bumps the
    /// epoch or asks for a new producer ID after such a refusal).
    @Test func confluentKafkasIdempotentProducerWritesEachRecordOnce() async throws {
        try await withKafkaServer { port, log in
            let values = (0..<40).map { "v\($0)" }
            let reports = try Self.lines(
                try await pythonPeerDetached("kafka_clients.py", ["confluent-produce-idempotent", "127.0.0.1:\(port)", "orders"] + values))
            #expect(reports.map { $0["offset"] } == (0..<40).map { JSONValue.int(Int64($0)) }, "\(reports.prefix(3))")
            #expect(try await log.partitions(of: "orders")[0].nextOffset == 40)
            let mixed = try Self.lines(
                try await pythonPeerDetached(
                    "kafka_clients.py", ["confluent-produce-idempotent", "127.0.0.1:\(port)", "orders", "x1", "bad x2", "x3"]))
            #expect(mixed.map { $0["error"]?.stringValue } == [nil, "INVALID_RECORD", nil], "\(mixed)")
            #expect(try await log.partitions(of: "orders")[0].nextOffset == 42)
        }
    }

    /// An idempotent producer whose every fourth Produce answer is lost (a proxy closes the connection
    /// after the broker wrote the records): librdkafka retries with the same sequence numbers, and every
    /// acknowledged record is in the log exactly once, at the offset it was acknowledged with.
    @Test func lostAnswersAreRetriedWithoutDuplicates() async throws {
        let free = try await runProcessDetached(
            python3(), ["-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"])
        let proxyPort = try #require(Int(free.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)))
        try await withKafkaServer(advertisedPort: proxyPort) { port, log in
            let out = try JSONReader.parse(
                try await pythonPeerDetached(
                    "kafka_clients.py", ["confluent-produce-through-drops", String(proxyPort), "orders", String(port), "200"]))
            guard case .array(let delivered)? = out["delivered"] else { Issue.record("\(out)"); return }
            #expect(out["errors"] == .int(0))
            #expect((out["dropped"]?.int64Value ?? 0) > 0, "no answer was dropped")
            #expect(delivered.count == 200)
            var stored: [Int64: String] = [:]
            var offset: Int64 = 0
            while true {
                let batches = try await log.read(topic: "orders", partition: 0, from: offset)
                guard !batches.isEmpty else { break }
                for b in batches {
                    for (i, r) in b.records.enumerated() {
                        stored[b.baseOffset + Int64(i)] = String(decoding: r.value ?? [], as: UTF8.self)
                    }
                    offset = b.lastOffset + 1
                }
            }
            #expect(stored.count == 200, "the log holds \(stored.count) records for 200 values")
            for row in delivered {
                guard case .array(let pair) = row, let value = pair.first?.stringValue, let at = pair.last?.int64Value else { continue }
                #expect(stored[at] == value, "\(value) acknowledged at \(at)")
            }
        }
    }

    /// Requests sent back to back on one connection, without waiting for answers: Produce requests
    /// are taken while earlier ones wait for durability, every answer comes back in request order (a
    /// Metadata among them too), and the records are written in the order they were sent.
    @Test func pipelinedRequestsAreAnsweredAndWrittenInOrder() async throws {
        let fileSystem = FaultInjectingFileSystem()
        try await withKafkaServer(fileSystem: fileSystem) { port, log in
            var frames: [UInt8] = []
            var sent: [Int32] = []
            for i in 0..<40 {
                let correlation = Int32(1000 + i)
                let frame: [UInt8]
                if i == 20 {
                    frame = KafkaBrokerTests.request(3, 1, correlation: correlation) { w in w.arrayCount(0) }
                } else {
                    let batch = RecordBatch(baseOffset: 0, records: [LogRecord(key: nil, value: Array("v\(i)".utf8), timestamp: 0)])
                    frame = KafkaBrokerTests.produceRequest(correlation: correlation, acks: -1, [(0, batch.encoded())])
                }
                frames += withUnsafeBytes(of: Int32(frame.count).bigEndian, Array.init) + frame
                sent.append(correlation)
            }
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("canon-pipelined-\(UUID().uuidString)").path
            try Data(frames).write(to: URL(fileURLWithPath: file))
            defer { try? FileManager.default.removeItem(atPath: file) }
            let script = #"""
                import socket, struct, sys
                port, path, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
                s = socket.create_connection(("127.0.0.1", port), timeout=20)
                s.sendall(open(path, "rb").read())
                def exactly(n):
                    data = b""
                    while len(data) < n:
                        chunk = s.recv(n - len(data))
                        if not chunk:
                            sys.exit("closed after %d bytes" % len(data))
                        data += chunk
                    return data
                for _ in range(count):
                    size = struct.unpack(">i", exactly(4))[0]
                    print(struct.unpack(">i", exactly(size)[:4])[0])
                """#
            // The partition's syncs wait: the first Produce cannot be answered, yet the next ones are taken
            // and written (that is the pipelining), up to the window of 16 unanswered requests; once the
            // syncs go on, all are taken and answered.
            fileSystem.holdSyncs(path: "orders-0")
            let arguments = ["-c", script, String(port), file, String(sent.count)]
            let client = Task { try await runProcessDetached(python3(), arguments) }
            let deadline = ContinuousClock.now + .seconds(15)
            while try await log.partitions(of: "orders")[0].nextOffset < 16, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await log.partitions(of: "orders")[0].nextOffset == 16, "16 requests taken while the first waited, no more")
            fileSystem.releaseSyncs()
            let result = try await client.value
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdoutText.split(separator: "\n").map { Int32($0) } == sent, "answers in request order")
            let values = try await log.read(topic: "orders", partition: 0, from: 0).flatMap(\.records).map {
                String(decoding: $0.value ?? [], as: UTF8.self)
            }
            #expect(values == (0..<40).filter { $0 != 20 }.map { "v\($0)" }, "written in the order sent")
        }
    }

    @Test func kafkaPythonProducesAndReadsBack() async throws {
        try await withKafkaServer { port, _ in
            let read = try Self.lines(
                try await pythonPeerDetached("kafka_clients.py", ["kafka-python", "127.0.0.1:\(port)", "orders", "x", "y", "z"]))
            #expect(read.map { $0["value"]?.stringValue } == ["x", "y", "z"])
            #expect(read.map { $0["offset"] } == [.int(0), .int(1), .int(2)])
        }
    }
}

/// Hostile bytes on the Kafka port: a size prefix of 2 GiB closes that connection before anything is
/// read, a negative one too, a truncated frame is dropped with its connection; an unknown API key gets an
/// answer; the server keeps serving the next client.
@Suite struct KafkaHostileInputTests {
    static let probe = #"""
        import socket, struct, sys
        port = int(sys.argv[1])
        def closed_after(data):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(data)
            try:
                return s.recv(100) == b""
            except ConnectionResetError:
                return True
        print("huge", closed_after(struct.pack(">i", 2**31 - 1) + b"x" * 100))
        print("negative", closed_after(struct.pack(">i", -5)))
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(struct.pack(">i", 100) + b"short")
        s.close()
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        body = struct.pack(">hhi", 999, 0, 42) + struct.pack(">h", 1) + b"c"
        s.sendall(struct.pack(">i", len(body)) + body)
        size = struct.unpack(">i", s.recv(4))[0]
        answer = s.recv(size)
        print("unknown", struct.unpack(">ih", answer[:6]))
        """#

    @Test func hostileFramesCloseOnlyTheirConnection() async throws {
        try await withKafkaServer { port, _ in
            let result = try await runProcessDetached(python3(), ["-c", Self.probe, String(port)])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdoutText == "huge True\nnegative True\nunknown (42, 35)\n")
            let kcat = try #require(KafkaClientTests.kcat(), "kcat is not installed (.ci/run installs it)")
            let listing = try await runProcessDetached(kcat, ["-b", "127.0.0.1:\(port)", "-L"])
            #expect(listing.status == 0 && listing.stdoutText.contains("topic \"orders\""), "\(listing.stdoutText)")
        }
    }
}
