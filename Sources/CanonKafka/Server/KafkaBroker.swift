import CanonCore
import CanonLog

/// What to do with one request frame.
public enum KafkaReply: Sendable, Hashable {
    /// Send this response (without its size prefix).
    case respond([UInt8])
    /// Send nothing (a Produce with acks=0).
    case none
    /// Close the connection (the header itself cannot be read).
    case close(String)
}

/// A request taken by ``KafkaBroker/start(_:)``: answered, or answered by `later` (a Produce whose
/// appends are queued in the log; its reply waits for their durability). A connection may read its next
/// request before awaiting `later`, and sends the replies in request order.
public enum KafkaPendingReply: Sendable {
    case ready(KafkaReply)
    case later(@Sendable () async -> KafkaReply)
}

/// Answers Kafka requests from a ``RecordLog``: one broker (node 0) that leads every partition. Records
/// produced go through the log's append, so they are validated by the topic's policy exactly as over
/// HTTP and acknowledged once durable under its flush policy.
public struct KafkaBroker: Sendable {
    let log: any RecordLog
    /// The host and port clients are told to connect to (Metadata's broker list).
    public var advertisedHost: String
    public var advertisedPort: Int
    /// The cluster ID Metadata reports.
    public var clusterID = "canon"
    /// Told of every request answered: the API's name and the error codes of its answer (a Produce's per
    /// partition, a group call's); `canon serve` counts them for `/metrics`.
    public var onAnswer: (@Sendable (_ api: String, _ errorCodes: [Int16]) -> Void)?
    /// Largest records section one compressed batch may decompress to (a larger one is refused as
    /// corrupt, before more is allocated). Default and most: 64 MiB, what the log decodes stored batches
    /// with.
    public var maximumDecompressedBytes = BatchCompression.defaultMaximumDecompressedBytes

    /// The consumer groups: one coordinator for the broker's lifetime, shared by its copies.
    let groups: GroupCoordinator
    /// Idempotent producers' IDs and sequence numbers.
    let producers: ProducerState

    public init(log: any RecordLog, advertisedHost: String, advertisedPort: Int) {
        self.log = log
        self.groups = GroupCoordinator(log: log)
        self.producers = ProducerState(log: log)
        self.advertisedHost = advertisedHost
        self.advertisedPort = advertisedPort
    }

    /// Answers one request frame (the bytes after the size prefix).
    public func respond(to frame: [UInt8]) async -> KafkaReply {
        switch await start(frame) {
        case .ready(let reply): return reply
        case .later(let work): return await work()
        }
    }

    /// Takes one request frame: answers it, or (a Produce of producers without sequence numbers) queues
    /// its appends in the log and returns the work that answers it once they are durable.
    public func start(_ frame: [UInt8]) async -> KafkaPendingReply {
        var reader = KafkaReader(frame)
        let header: KafkaRequestHeader
        do {
            header = KafkaRequestHeader(
                apiKey: try reader.int16(), apiVersion: try reader.int16(), correlationID: try reader.int32(),
                clientID: try reader.nullableString())
        } catch {
            return .ready(.close("unreadable request header: \(error)"))
        }
        guard let api = KafkaAPI(rawValue: header.apiKey), api.versions.contains(header.apiVersion) else {
            onAnswer?("unknown", [KafkaErrorCode.unsupportedVersion.rawValue])
            return .ready(.respond(unsupported(header)))
        }
        if api == .produce {
            let work: ProduceWork
            do {
                work = try startProduce(header.apiVersion, &reader)
            } catch {
                onAnswer?("\(api)", [])
                return .ready(.close("\(api) v\(header.apiVersion): \(error)"))
            }
            let answer: @Sendable () async -> KafkaReply = { [self] in
                let (body, codes) = await work.finish()
                onAnswer?("\(api)", codes)
                return body.map { .respond(framed(header.correlationID, $0)) } ?? .none
            }
            return work.pipelined ? .later(answer) : .ready(await answer())
        }
        return .ready(await answer(api, header, &reader))
    }

    /// Answers every request but Produce.
    private func answer(_ api: KafkaAPI, _ header: KafkaRequestHeader, _ reader: inout KafkaReader) async -> KafkaReply {
        var errorCodes: [Int16] = []
        defer { onAnswer?("\(api)", errorCodes) }
        do throws(any Error) {
            if api.isFlexible(header.apiVersion) { try reader.skipTaggedFields() }
            var body = KafkaWriter()
            switch api {
            case .apiVersions:
                apiVersions(header.apiVersion, into: &body)
                // The ApiVersions response header is always v0, flexible or not (KIP-511).
                return .respond(framed(header.correlationID, body))
            case .metadata:
                try await metadata(header.apiVersion, &reader, into: &body)
            case .produce:
                preconditionFailure("Produce is taken by start(_:)")
            case .fetch:
                try await fetch(header.apiVersion, &reader, into: &body)
            case .listOffsets:
                try await listOffsets(header.apiVersion, &reader, into: &body)
            case .createTopics:
                try await createTopics(header.apiVersion, &reader, into: &body)
            case .deleteTopics:
                try await deleteTopics(header.apiVersion, &reader, into: &body)
            case .createPartitions:
                errorCodes = try await createPartitions(&reader, into: &body)
            case .describeConfigs:
                try await describeConfigs(header.apiVersion, &reader, into: &body)
            case .alterConfigs, .incrementalAlterConfigs:
                try await alterConfigs(incremental: api == .incrementalAlterConfigs, &reader, into: &body)
            case .findCoordinator:
                try findCoordinator(header.apiVersion, &reader, into: &body)
            case .joinGroup:
                try await joinGroup(header.apiVersion, clientID: header.clientID ?? "", &reader, into: &body)
            case .syncGroup:
                try await syncGroup(header.apiVersion, &reader, into: &body)
            case .heartbeat, .leaveGroup:
                let group = try reader.string()
                let code: KafkaErrorCode
                if api == .heartbeat {
                    let generation = try reader.int32()
                    code = await groups.heartbeat(group: group, generation: generation, memberID: try reader.string())
                } else {
                    code = await groups.leave(group: group, memberID: try reader.string())
                }
                if header.apiVersion >= 1 { body.int32(0) }  // throttle_time_ms
                body.int16(code.rawValue)
                errorCodes = [code.rawValue]
            case .offsetCommit:
                try await offsetCommit(header.apiVersion, &reader, into: &body)
            case .offsetFetch:
                try await offsetFetch(header.apiVersion, &reader, into: &body)
            case .listGroups:
                if header.apiVersion >= 1 { body.int32(0) }
                body.int16(KafkaErrorCode.none.rawValue)
                body.array(await groups.list()) { w, g in
                    w.string(g.id)
                    w.string(g.protocolType)
                }
            case .describeGroups:
                try await describeGroups(header.apiVersion, &reader, into: &body)
            case .initProducerID:
                try await initProducerID(&reader, into: &body)
            }
            return .respond(framed(header.correlationID, body))
        } catch {
            return .close("\(api) v\(header.apiVersion): \(error)")
        }
    }

    private func framed(_ correlationID: Int32, _ body: KafkaWriter) -> [UInt8] {
        var out = KafkaWriter(capacity: 4 + body.bytes.count)
        out.int32(correlationID)
        out.append(body.bytes)
        return out.bytes
    }

    /// An unknown API or version: ApiVersions' v0 answer (error 35 and the versions supported), which is
    /// what clients read for any API they sent at a version the broker lacks.
    private func unsupported(_ header: KafkaRequestHeader) -> [UInt8] {
        var body = KafkaWriter()
        body.int16(KafkaErrorCode.unsupportedVersion.rawValue)
        body.array(KafkaAPI.allCases) { w, api in
            w.int16(api.rawValue)
            w.int16(api.versions.lowerBound)
            w.int16(api.versions.upperBound)
        }
        return framed(header.correlationID, body)
    }

    // MARK: - ApiVersions (v0-v3)

    private func apiVersions(_ version: Int16, into w: inout KafkaWriter) {
        let flexible = version >= 3
        w.int16(KafkaErrorCode.none.rawValue)
        w.array(KafkaAPI.allCases, compact: flexible) { w, api in
            w.int16(api.rawValue)
            w.int16(api.versions.lowerBound)
            w.int16(api.versions.upperBound)
            if flexible { w.emptyTaggedFields() }
        }
        if version >= 1 { w.int32(0) }  // throttle_time_ms
        if flexible { w.emptyTaggedFields() }
    }

    // MARK: - Metadata (v0-v8)

    private func metadata(_ version: Int16, _ r: inout KafkaReader, into w: inout KafkaWriter) async throws {
        // v0: an empty array means every topic; v1+: null means every topic.
        let count = try r.arrayCount(minimumItemSize: 2)
        var requested: [String]?
        if let count, count > 0 || version >= 1 {
            requested = []
            for _ in 0..<count { requested!.append(try r.string()) }
        }
        if version >= 4 { _ = try r.bool() }  // allow_auto_topic_creation: topics are created explicitly
        if version >= 8 {
            _ = try r.bool()
            _ = try r.bool()
        }
        let topics = try await log.topics().filter { !$0.name.hasPrefix("_") }
        let byName = Dictionary(topics.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let names = requested ?? topics.map(\.name).sorted()

        if version >= 3 { w.int32(0) }  // throttle_time_ms
        w.arrayCount(1)  // brokers
        w.int32(0)
        w.string(advertisedHost)
        w.int32(Int32(advertisedPort))
        if version >= 1 { w.nullableString(nil) }  // rack
        if version >= 2 { w.nullableString(clusterID) }
        if version >= 1 { w.int32(0) }  // controller_id
        w.arrayCount(names.count)
        for name in names {
            let topic = byName[name]
            w.int16((topic == nil ? KafkaErrorCode.unknownTopicOrPartition : .none).rawValue)
            w.string(name)
            if version >= 1 { w.bool(false) }  // is_internal
            w.arrayCount(topic?.partitions ?? 0)
            for p in 0..<(topic?.partitions ?? 0) {
                w.int16(KafkaErrorCode.none.rawValue)
                w.int32(Int32(p))
                w.int32(0)  // leader_id
                if version >= 7 { w.int32(0) }  // leader_epoch
                w.array([Int32(0)]) { $0.int32($1) }  // replica_nodes
                w.array([Int32(0)]) { $0.int32($1) }  // isr_nodes
                if version >= 5 { w.arrayCount(0) }  // offline_replicas
            }
            if version >= 8 { w.int32(Int32.min) }  // topic_authorized_operations: not computed
        }
        if version >= 8 { w.int32(Int32.min) }  // cluster_authorized_operations
    }

    // MARK: - Produce (v3-v8)

    /// A Produce taken in two steps. ``startProduce(_:_:)`` (in the connection's request order) reads the
    /// request, decodes and validates every partition's batches and queues their appends in the log;
    /// `finish` awaits them and writes the response (nil for acks=0) with the partitions' error codes.
    /// Requests of idempotent producers do their appends in `finish`, under each producer's lock;
    /// `pipelined` is false for them (the connection then awaits them before reading on, so their
    /// sequence numbers arrive in order).
    struct ProduceWork: Sendable {
        var pipelined: Bool
        var finish: @Sendable () async -> (body: KafkaWriter?, codes: [Int16])
    }

    private func startProduce(_ version: Int16, _ r: inout KafkaReader) throws -> ProduceWork {
        _ = try r.nullableString()  // transactional_id
        let acks = try r.int16()
        _ = try r.int32()  // timeout_ms
        struct PartitionData {
            var index: Int32
            var records: [UInt8]?
        }
        let topics: [(name: String, partitions: [PartitionData])] = try r.array(minimumItemSize: 6) { r throws(KafkaDecodingError) in
            let name = try r.string()
            let partitions = try r.array(minimumItemSize: 8) { r throws(KafkaDecodingError) in
                PartitionData(index: try r.int32(), records: try r.nullableBytes())
            }
            return (name, partitions)
        }
        let decoded = topics.map { topic in
            (topic.name, topic.partitions.map { decodeBatches(partition: $0.index, $0.records ?? []) })
        }
        let pipelined = !decoded.contains { $0.1.contains { (try? $0.get())?.idempotent != nil } }
        // Appends without a producer's sequence are queued now, in request order.
        let steps: [(String, [ProduceStep])]? =
            pipelined
            ? decoded.map { topic, partitions in
                (
                    topic,
                    partitions.map { outcome -> ProduceStep in
                        switch outcome {
                        case .failure(let result): return .answered(result)
                        case .success(let d):
                            do throws(LogError) {
                                let pending = try log.startAppend(
                                    topic: topic, partition: Int(d.partition), records: d.records, producer: nil, encoded: d.asSent)
                                return .queued(d.partition, pending)
                            } catch {
                                return .answered(Self.refused(d.partition, error))
                            }
                        }
                    }
                )
            } : nil
        let sequential = pipelined ? [] : decoded  // the pipelined work keeps only its queued appends
        return ProduceWork(pipelined: pipelined) { [self] in
            var results: [(name: String, partitions: [ProducePartitionResult])] = []
            if let steps {
                for (topic, partitions) in steps {
                    var answered: [ProducePartitionResult] = []
                    for step in partitions {
                        switch step {
                        case .answered(let result): answered.append(result)
                        case .queued(let partition, let pending):
                            var result = ProducePartitionResult(index: partition, error: .none)
                            do throws(LogError) {
                                result.baseOffset = try await pending.result().first?.offset ?? -1
                            } catch {
                                result = Self.refused(partition, error)
                            }
                            answered.append(result)
                        }
                    }
                    results.append((topic, await withLogStartOffsets(topic, answered)))
                }
            } else {
                for (topic, partitions) in sequential {
                    var answered: [ProducePartitionResult] = []
                    for outcome in partitions {
                        switch outcome {
                        case .failure(let result): answered.append(result)
                        case .success(let d): answered.append(await appendIdempotent(topic: topic, d))
                        }
                    }
                    results.append((topic, await withLogStartOffsets(topic, answered)))
                }
            }
            let codes = results.flatMap { $0.partitions.map(\.error.rawValue) }
            guard acks != 0 else { return (nil, codes) }
            var w = KafkaWriter()
            w.arrayCount(results.count)
            for topic in results {
                w.string(topic.name)
                w.arrayCount(topic.partitions.count)
                for p in topic.partitions {
                    w.int32(p.index)
                    w.int16(p.error.rawValue)
                    w.int64(p.baseOffset)
                    w.int64(-1)  // log_append_time_ms: CreateTime
                    if version >= 5 { w.int64(p.logStartOffset) }
                    if version >= 8 {
                        w.array(p.recordErrors) { w, e in
                            w.int32(e.index)
                            w.nullableString(e.message)
                        }
                        w.nullableString(p.message)
                    }
                }
            }
            w.int32(0)  // throttle_time_ms
            return (w, codes)
        }
    }

    /// A partition of a pipelined Produce: answered already (refused), or queued in the log.
    enum ProduceStep: Sendable {
        case answered(ProducePartitionResult)
        case queued(Int32, PendingAppend)
    }

    struct ProducePartitionResult: Sendable, Error {
        var index: Int32
        var error: KafkaErrorCode
        var baseOffset: Int64 = -1
        var logStartOffset: Int64 = -1
        var recordErrors: [(index: Int32, message: String)] = []
        var message: String?
    }

    /// One partition's data, decoded and checked: its records, an idempotent producer's fields, and the
    /// batch to store as sent (when it is one batch).
    struct DecodedPartition: Sendable {
        var partition: Int32
        var records: [LogRecord]
        var idempotent: (producerID: Int64, epoch: Int16, firstSequence: Int32, count: Int32)?
        var asSent: PreparedBatch?
    }

    /// The partition's answer for an append the log refused.
    static func refused(_ partition: Int32, _ error: LogError) -> ProducePartitionResult {
        var result = ProducePartitionResult(index: partition, error: code(error))
        result.message = error.message
        result.recordErrors = error.rejections.map { (Int32($0.index), $0.reason) }
        return result
    }

    /// Fills in the partitions' log start offsets (one read of the topic's partitions).
    private func withLogStartOffsets(_ topic: String, _ results: [ProducePartitionResult]) async -> [ProducePartitionResult] {
        guard results.contains(where: { $0.error == .none }), let status = try? await log.partitions(of: topic) else { return results }
        return results.map { r in
            var r = r
            if r.error == .none, status.indices.contains(Int(r.index)) { r.logStartOffset = status[Int(r.index)].startOffset }
            return r
        }
    }

    /// Decodes the record batches of one partition's data (their records go in one append).
    private func decodeBatches(partition: Int32, _ bytes: [UInt8]) -> Result<DecodedPartition, ProducePartitionResult> {
        var decoded = DecodedPartition(partition: partition, records: [])
        var position = 0
        do throws(KafkaBatchError) {
            while position < bytes.count {
                guard let size = bytes.withUnsafeBytes({ RecordBatch.totalSize(of: $0, at: position) }), size >= RecordBatch.headerSize,
                    size <= bytes.count - position
                else {
                    throw KafkaBatchError(code: .corruptMessage, message: "a record batch at byte \(position) is truncated")
                }
                let sent = Array(bytes[position..<position + size])
                let batch = try decode(sent)
                // One batch (compressed or not; CreateTime, not transactional) is stored as it was sent.
                let single = position == 0 && size == bytes.count && sent[21] == 0 && sent[22] & ~0x07 == 0  // attributes as sent
                decoded.asSent = single ? PreparedBatch(encoded: sent, records: batch.records) : nil
                if batch.producerId >= 0 {
                    // An idempotent producer sends one batch per partition and request.
                    guard position == 0, size == bytes.count else {
                        throw KafkaBatchError(code: .invalidRequest, message: "an idempotent producer's data holds one batch per partition")
                    }
                    decoded.idempotent = (batch.producerId, batch.producerEpoch, batch.baseSequence, Int32(batch.records.count))
                }
                decoded.records += batch.records
                position += size
            }
        } catch {
            var result = ProducePartitionResult(index: partition, error: error.code)
            result.message = error.message
            return .failure(result)
        }
        guard !decoded.records.isEmpty else {
            var result = ProducePartitionResult(index: partition, error: .invalidRequest)
            result.message = "no records"
            return .failure(result)
        }
        return .success(decoded)
    }

    /// Appends an idempotent producer's batch: checked, written and recorded under the producer's lock,
    /// so a retry that arrives on another connection while the first copy is being written waits, then
    /// finds it.
    private func appendIdempotent(topic: String, _ d: DecodedPartition) async -> ProducePartitionResult {
        var result = ProducePartitionResult(index: d.partition, error: .none)
        guard let p = d.idempotent else {
            // A partition without a producer's sequence, in a request that has one elsewhere.
            do throws(LogError) {
                result.baseOffset =
                    try await log.append(topic: topic, partition: Int(d.partition), records: d.records, producer: nil, encoded: d.asSent)
                    .first?.offset ?? -1
            } catch {
                result = Self.refused(d.partition, error)
            }
            return result
        }
        let key = ProducerState.Key(topic: topic, partition: d.partition, producerID: p.producerID)
        let producer = ProducerFields(id: p.producerID, epoch: p.epoch, baseSequence: p.firstSequence)
        let write: @Sendable () async throws(LogError) -> Int64 = { [log, d] () async throws(LogError) -> Int64 in
            try await log.append(topic: topic, partition: Int(d.partition), records: d.records, producer: producer, encoded: d.asSent)
                .first?
                .offset ?? -1
        }
        do throws(LogError) {
            switch try await producers.append(key, epoch: p.epoch, firstSequence: p.firstSequence, count: p.count, write: write) {
            case .appended(let base), .duplicate(let base): result.baseOffset = base
            case .refused(let code, let message):
                result.error = code
                result.message = message
            }
        } catch {
            result = Self.refused(d.partition, error)
        }
        return result
    }

    /// A producer's batch, checked (magic 2, CRC-32C of what was sent, before anything is decompressed)
    /// and decoded, its records decompressed within ``maximumDecompressedBytes``.
    private func decode(_ sent: [UInt8]) throws(KafkaBatchError) -> RecordBatch {
        guard sent[16] == 2 else { throw KafkaBatchError(code: .corruptMessage, message: "not a record batch v2 (magic 2)") }
        let codec = Int(sent[22] & 0x07)
        guard BatchCompression.name(ofCodec: codec) != nil else {
            throw KafkaBatchError(code: .unsupportedCompressionType, message: "compression codec \(codec) is not one of Kafka's")
        }
        let batch: RecordBatch
        do {
            // Never more than the log decodes stored batches with (a larger one could not be read back).
            batch = try RecordBatch(
                decoding: sent, maximumDecompressedBytes: min(maximumDecompressedBytes, BatchCompression.defaultMaximumDecompressedBytes))
        } catch {
            throw KafkaBatchError(code: .corruptMessage, message: error.message)
        }
        // Only compaction leaves gaps: a producer's batch has a record at every offset it covers.
        guard batch.isDense else {
            throw KafkaBatchError(
                code: .corruptMessage,
                message:
                    "the batch covers \(batch.lastOffsetDelta + 1) offsets but holds \(batch.records.count) records at offsets that are not 0, 1, 2, …"
            )
        }
        return batch
    }

    /// Kafka's error code for a log error.
    static func code(_ error: LogError) -> KafkaErrorCode {
        switch error.code {
        case .unknownTopic, .partitionOutOfRange: return .unknownTopicOrPartition
        case .topicExists: return .topicAlreadyExists
        case .invalidTopicName: return .invalidTopic
        case .invalidConfiguration: return .invalidConfig
        case .invalidPartitions: return .invalidPartitions
        case .invalidRecord: return .invalidRecord
        case .recordTooLarge: return .messageTooLarge
        case .corruptBatch: return .corruptMessage
        case .damaged, .io, .noSpace: return .kafkaStorageError
        default: return .unknownServerError
        }
    }

    // MARK: - Fetch (v4-v11)

    private func fetch(_ version: Int16, _ r: inout KafkaReader, into w: inout KafkaWriter) async throws {
        _ = try r.int32()  // replica_id
        let maxWait = try r.int32()
        let minBytes = try r.int32()
        let maxBytes = try r.int32()
        _ = try r.int8()  // isolation_level: every visible record is committed
        if version >= 7 {
            _ = try r.int32()  // session_id: no fetch sessions (0 answered)
            _ = try r.int32()
        }
        struct Wanted {
            var partition: Int32
            var offset: Int64
            var maxBytes: Int32
        }
        let topics: [(name: String, partitions: [Wanted])] = try r.array(minimumItemSize: 6) { r throws(KafkaDecodingError) in
            let name = try r.string()
            let partitions = try r.array(minimumItemSize: 16) { r throws(KafkaDecodingError) in
                let partition = try r.int32()
                if version >= 9 { _ = try r.int32() }  // current_leader_epoch
                let offset = try r.int64()
                if version >= 5 { _ = try r.int64() }  // log_start_offset
                return Wanted(partition: partition, offset: offset, maxBytes: try r.int32())
            }
            return (name, partitions)
        }
        if version >= 7 {
            _ = try r.array(minimumItemSize: 6) { r throws(KafkaDecodingError) in
                _ = try r.string()
                _ = try r.array(minimumItemSize: 4) { r throws(KafkaDecodingError) in try r.int32() }
            }
        }
        if version >= 11 { _ = try r.string() }  // rack_id

        // Long polling: until min_bytes are there or max_wait_ms has passed.
        let deadline = ContinuousClock.now + .milliseconds(Int(max(0, min(maxWait, 30_000))))
        var answers: [(name: String, partitions: [FetchPartitionResult])] = []
        while true {
            answers = []
            var total = 0
            for topic in topics {
                var partitions: [FetchPartitionResult] = []
                for p in topic.partitions {
                    let budget = max(0, min(Int(p.maxBytes), Int(maxBytes) - total))
                    let answer = await read(topic: topic.name, partition: p, maxBytes: budget)
                    total += answer.records.count
                    partitions.append(answer)
                }
                answers.append((topic.name, partitions))
            }
            if total >= Int(minBytes) || ContinuousClock.now >= deadline { break }
            do { try await Task.sleep(for: .milliseconds(10)) } catch { break }  // cancelled: answer what is there
        }

        w.int32(0)  // throttle_time_ms
        if version >= 7 {
            w.int16(KafkaErrorCode.none.rawValue)
            w.int32(0)  // session_id
        }
        w.arrayCount(answers.count)
        for topic in answers {
            w.string(topic.name)
            w.arrayCount(topic.partitions.count)
            for p in topic.partitions {
                w.int32(p.index)
                w.int16(p.error.rawValue)
                w.int64(p.highWatermark)
                w.int64(p.highWatermark)  // last_stable_offset: no transactions
                if version >= 5 { w.int64(p.logStartOffset) }
                w.arrayCount(0)  // aborted_transactions
                if version >= 11 { w.int32(-1) }  // preferred_read_replica
                w.nullableBytes(p.records)
            }
        }

        func read(topic: String, partition p: Wanted, maxBytes: Int) async -> FetchPartitionResult {
            var result = FetchPartitionResult(index: p.partition, error: .none)
            do {
                // The stored bytes, unchanged: a producer's compressed batch reaches consumers as it was sent.
                let read = try await log.readStored(topic: topic, partition: Int(p.partition), from: p.offset, maxBytes: maxBytes)
                result.highWatermark = read.status.visibleEndOffset
                result.logStartOffset = read.status.startOffset
                guard p.offset >= read.status.startOffset, p.offset <= read.status.visibleEndOffset else {
                    result.error = .offsetOutOfRange
                    return result
                }
                if read.batches.count == 1 {
                    result.records = read.batches[0].bytes
                } else {
                    result.records.reserveCapacity(read.batches.reduce(0) { $0 + $1.bytes.count })
                    for batch in read.batches { result.records += batch.bytes }
                }
            } catch {
                result.error = Self.code(error)
            }
            return result
        }
    }

    struct FetchPartitionResult {
        var index: Int32
        var error: KafkaErrorCode
        var highWatermark: Int64 = -1
        var logStartOffset: Int64 = -1
        var records: [UInt8] = []
    }

    // MARK: - ListOffsets (v1-v5)

    private func listOffsets(_ version: Int16, _ r: inout KafkaReader, into w: inout KafkaWriter) async throws {
        _ = try r.int32()  // replica_id
        if version >= 2 { _ = try r.int8() }  // isolation_level
        let topics: [(name: String, partitions: [(index: Int32, timestamp: Int64)])] = try r.array(minimumItemSize: 6) {
            r throws(KafkaDecodingError) in
            let name = try r.string()
            let partitions = try r.array(minimumItemSize: 12) { r throws(KafkaDecodingError) in
                let index = try r.int32()
                if version >= 4 { _ = try r.int32() }  // current_leader_epoch
                return (index, try r.int64())
            }
            return (name, partitions)
        }
        if version >= 2 { w.int32(0) }  // throttle_time_ms
        w.arrayCount(topics.count)
        for topic in topics {
            w.string(topic.name)
            w.arrayCount(topic.partitions.count)
            for p in topic.partitions {
                var code = KafkaErrorCode.none
                var offset: Int64 = -1
                var timestamp: Int64 = -1
                do {
                    let statuses = try await log.partitions(of: topic.name)
                    if !statuses.indices.contains(Int(p.index)) {
                        code = .unknownTopicOrPartition
                    } else if p.timestamp == -1 {
                        offset = statuses[Int(p.index)].visibleEndOffset
                    } else if p.timestamp == -2 {
                        offset = statuses[Int(p.index)].startOffset
                    } else if let found = try await log.offset(topic: topic.name, partition: Int(p.index), forTimestamp: p.timestamp) {
                        offset = found
                        timestamp = p.timestamp
                    }
                } catch {
                    code = Self.code(error)
                }
                w.int32(p.index)
                w.int16(code.rawValue)
                w.int64(timestamp)
                w.int64(offset)
                if version >= 4 { w.int32(0) }  // leader_epoch
            }
        }
    }

    // MARK: - CreateTopics (v0-v4), DeleteTopics (v0-v3)

    private func createTopics(_ version: Int16, _ r: inout KafkaReader, into w: inout KafkaWriter) async throws {
        struct Wanted {
            var name: String
            var partitions: Int32
            var replicationFactor: Int16
            var assignments: Int
            var configs: [String: String]
        }
        let topics: [Wanted] = try r.array(minimumItemSize: 16) { r throws(KafkaDecodingError) in
            let name = try r.string()
            let partitions = try r.int32()
            let replicationFactor = try r.int16()
            let assignments = try r.array(minimumItemSize: 8) { r throws(KafkaDecodingError) in
                _ = try r.int32()
                return try r.array(minimumItemSize: 4) { r throws(KafkaDecodingError) in try r.int32() }
            }
            var configs: [String: String] = [:]
            for (name, value) in try r.array(
                minimumItemSize: 4, { r throws(KafkaDecodingError) in (try r.string(), try r.nullableString()) })
            {
                if let value { configs[name] = value }
            }
            return Wanted(
                name: name, partitions: partitions, replicationFactor: replicationFactor, assignments: assignments.count, configs: configs)
        }
        _ = try r.int32()  // timeout_ms
        let validateOnly = version >= 1 ? try r.bool() : false

        if version >= 2 { w.int32(0) }  // throttle_time_ms
        w.arrayCount(topics.count)
        for t in topics {
            var code = KafkaErrorCode.none
            var message: String?
            // -1 asks for the broker's default: 1 partition, and Canon is one broker (replication 1).
            let partitions = t.assignments > 0 ? t.assignments : (t.partitions == -1 ? 1 : Int(t.partitions))
            if t.replicationFactor != -1 && t.replicationFactor != 1 {
                code = .invalidReplicationFactor
                message = "replication factor \(t.replicationFactor): Canon is one broker (use 1 or -1)"
            } else if partitions < 1 {
                code = .invalidPartitions
                message = "a topic needs at least one partition, not \(partitions)"
            } else {
                do throws(LogError) {
                    let configuration = try TopicConfiguration(t.configs)
                    if validateOnly {
                        if try await log.topic(t.name) != nil { throw LogError(.topicExists, "topic '\(t.name)' already exists") }
                    } else {
                        _ = try await log.createTopic(t.name, partitions: partitions, configuration: configuration, isInternal: false)
                    }
                } catch {
                    code = Self.code(error)
                    message = error.message
                }
            }
            w.string(t.name)
            w.int16(code.rawValue)
            if version >= 1 { w.nullableString(message) }
        }
    }

    private func deleteTopics(_ version: Int16, _ r: inout KafkaReader, into w: inout KafkaWriter) async throws {
        let names = try r.array(minimumItemSize: 2) { r throws(KafkaDecodingError) in try r.string() }
        _ = try r.int32()  // timeout_ms
        if version >= 1 { w.int32(0) }  // throttle_time_ms
        w.arrayCount(names.count)
        for name in names {
            var code = KafkaErrorCode.none
            do {
                try await log.deleteTopic(name)
            } catch {
                code = Self.code(error)
            }
            w.string(name)
            w.int16(code.rawValue)
        }
    }

    // MARK: - CreatePartitions (v0-v1)

    /// Raises topics' partition counts. Assignments, when given, must place each new partition on this
    /// broker (node 0), the only one. Returns the error codes answered.
    private func createPartitions(_ r: inout KafkaReader, into w: inout KafkaWriter) async throws -> [Int16] {
        let topics: [(name: String, count: Int32, assignments: [[Int32]]?)] = try r.array(minimumItemSize: 10) {
            r throws(KafkaDecodingError) in
            let name = try r.string()
            let count = try r.int32()
            var assignments: [[Int32]]?
            if let n = try r.arrayCount(minimumItemSize: 4) {
                assignments = []
                for _ in 0..<n { assignments!.append(try r.array(minimumItemSize: 4) { r throws(KafkaDecodingError) in try r.int32() }) }
            }
            return (name, count, assignments)
        }
        _ = try r.int32()  // timeout_ms
        let validateOnly = try r.bool()
        w.int32(0)  // throttle_time_ms
        w.arrayCount(topics.count)
        var codes: [Int16] = []
        for t in topics {
            var code = KafkaErrorCode.none
            var message: String?
            do throws(LogError) {
                guard let current = try await log.topic(t.name), !TopicName.isInternal(t.name) else {
                    throw LogError(.unknownTopic, "no topic '\(t.name)'")
                }
                guard Int(t.count) > current.partitions else {
                    throw LogError(
                        .invalidPartitions,
                        "topic '\(t.name)' has \(current.partitions) partitions; the count can only go up, not to \(t.count)")
                }
                if let assignments = t.assignments,
                    assignments.count != Int(t.count) - current.partitions || assignments.contains(where: { $0 != [0] })
                {
                    code = .invalidReplicaAssignment
                    message =
                        "Canon is one broker (node 0): give each of the \(Int(t.count) - current.partitions) new partitions [0], or no assignments"
                } else if !validateOnly {
                    _ = try await log.addPartitions(topic: t.name, count: Int(t.count))
                }
            } catch {
                code = Self.code(error)
                message = error.message
            }
            codes.append(code.rawValue)
            w.string(t.name)
            w.int16(code.rawValue)
            w.nullableString(message)
        }
        return codes
    }

    // MARK: - DescribeConfigs (v0-v3), AlterConfigs (v0-v1), IncrementalAlterConfigs (v0)

    /// Kafka's resource types: a topic's settings are the log's and the validation policy's.
    static let topicResource: Int8 = 2
    static let brokerResource: Int8 = 4

    private func describeConfigs(_ version: Int16, _ r: inout KafkaReader, into w: inout KafkaWriter) async throws {
        let resources: [(type: Int8, name: String, keys: [String]?)] = try r.array(minimumItemSize: 7) { r throws(KafkaDecodingError) in
            let type = try r.int8()
            let name = try r.string()
            let count = try r.arrayCount(minimumItemSize: 2)
            var keys: [String]?
            if let count {
                keys = []
                for _ in 0..<count { keys!.append(try r.string()) }
            }
            return (type, name, keys)
        }
        if version >= 1 { _ = try r.bool() }  // include_synonyms
        if version >= 3 { _ = try r.bool() }  // include_documentation
        let defaults = TopicConfiguration().settings

        w.int32(0)  // throttle_time_ms
        w.arrayCount(resources.count)
        for resource in resources {
            var code = KafkaErrorCode.none
            var message: String?
            var settings: [(String, String)] = []
            if resource.type == Self.topicResource {
                do throws(LogError) {
                    guard let topic = try await log.topic(resource.name), !resource.name.hasPrefix("_") else {
                        throw LogError(.unknownTopic, "no topic '\(resource.name)'")
                    }
                    settings = topic.configuration.settings.sorted { $0.key < $1.key }
                    if let keys = resource.keys, !keys.isEmpty { settings = settings.filter { keys.contains($0.0) } }
                } catch {
                    code = Self.code(error)
                    message = error.message
                }
            } else if resource.type != Self.brokerResource {
                code = .invalidRequest
                message = "resource type \(resource.type) is not described (topics: 2, brokers: 4)"
            }
            w.int16(code.rawValue)
            w.nullableString(message)
            w.int8(resource.type)
            w.string(resource.name)
            w.arrayCount(settings.count)
            for (name, value) in settings {
                let isDefault = defaults[name] == value
                w.string(name)
                w.nullableString(value)
                w.bool(false)  // read_only
                if version == 0 { w.bool(isDefault) }
                if version >= 1 { w.int8(isDefault ? 5 : 1) }  // config_source: DEFAULT_CONFIG or DYNAMIC_TOPIC_CONFIG
                w.bool(false)  // is_sensitive
                if version >= 1 { w.arrayCount(0) }  // synonyms
                if version >= 3 {
                    w.int8(0)  // config_type: UNKNOWN
                    w.nullableString(nil)  // documentation
                }
            }
        }
    }

    /// AlterConfigs sets each setting given (the others keep their values: Canon does not reset them);
    /// IncrementalAlterConfigs takes SET (0) only.
    private func alterConfigs(incremental: Bool, _ r: inout KafkaReader, into w: inout KafkaWriter) async throws {
        struct Change {
            var name: String
            var operation: Int8
            var value: String?
        }
        let resources: [(type: Int8, name: String, changes: [Change])] = try r.array(minimumItemSize: 7) { r throws(KafkaDecodingError) in
            let type = try r.int8()
            let name = try r.string()
            let changes = try r.array(minimumItemSize: 4) { r throws(KafkaDecodingError) in
                let setting = try r.string()
                let operation = incremental ? try r.int8() : 0
                return Change(name: setting, operation: operation, value: try r.nullableString())
            }
            return (type, name, changes)
        }
        let validateOnly = try r.bool()
        w.int32(0)  // throttle_time_ms
        w.arrayCount(resources.count)
        for resource in resources {
            var code = KafkaErrorCode.none
            var message: String?
            do throws(LogError) {
                guard resource.type == Self.topicResource, !resource.name.hasPrefix("_") else {
                    throw LogError(.invalidConfiguration, "only the settings of user topics (resource type 2) can be changed")
                }
                for change in resource.changes {
                    guard change.operation == 0, let value = change.value else {
                        throw LogError(
                            .invalidConfiguration,
                            "\(change.name): only setting a value is supported (not deleting, appending or subtracting)")
                    }
                    var probe = TopicConfiguration()
                    try probe.set(change.name, value)
                }
                if !validateOnly {
                    for change in resource.changes { try await log.setConfiguration(topic: resource.name, change.name, change.value ?? "") }
                }
            } catch {
                code = Self.code(error)
                message = error.message
            }
            w.int16(code.rawValue)
            w.nullableString(message)
            w.int8(resource.type)
            w.string(resource.name)
        }
    }

    // MARK: - Consumer groups

    /// FindCoordinator v0-v2: this broker coordinates every group (transactions are not answered).
    private func findCoordinator(_ version: Int16, _ r: inout KafkaReader, into w: inout KafkaWriter) throws(KafkaDecodingError) {
        _ = try r.string()  // key
        let keyType = version >= 1 ? try r.int8() : 0
        let code: KafkaErrorCode = keyType == 0 ? .none : .coordinatorNotAvailable
        if version >= 1 { w.int32(0) }  // throttle_time_ms
        w.int16(code.rawValue)
        if version >= 1 { w.nullableString(code == .none ? nil : "transactions are not supported") }
        w.int32(code == .none ? 0 : -1)
        w.string(code == .none ? advertisedHost : "")
        w.int32(code == .none ? Int32(advertisedPort) : -1)
    }

    /// JoinGroup v0-v3; waits until the rebalance completes.
    private func joinGroup(_ version: Int16, clientID: String, _ r: inout KafkaReader, into w: inout KafkaWriter)
        async throws(KafkaDecodingError)
    {
        let group = try r.string()
        let sessionTimeout = try r.int32()
        let rebalanceTimeout = version >= 1 ? try r.int32() : sessionTimeout
        let memberID = try r.string()
        let protocolType = try r.string()
        let protocols = try r.array(minimumItemSize: 6) { r throws(KafkaDecodingError) in
            (name: try r.string(), metadata: try r.nullableBytes() ?? [])
        }
        let result = await groups.join(
            group: group, memberID: memberID, clientID: clientID, sessionTimeoutMs: sessionTimeout, rebalanceTimeoutMs: rebalanceTimeout,
            protocolType: protocolType, protocols: protocols)
        if version >= 2 { w.int32(0) }  // throttle_time_ms
        w.int16(result.error.rawValue)
        w.int32(result.generation)
        w.string(result.protocolName)
        w.string(result.leader)
        w.string(result.memberID)
        w.array(result.members) { w, m in
            w.string(m.id)
            w.nullableBytes(m.metadata)
        }
    }

    /// SyncGroup v0-v2; a follower waits for the leader's assignment.
    private func syncGroup(_ version: Int16, _ r: inout KafkaReader, into w: inout KafkaWriter) async throws(KafkaDecodingError) {
        let group = try r.string()
        let generation = try r.int32()
        let memberID = try r.string()
        let assignments = try r.array(minimumItemSize: 6) { r throws(KafkaDecodingError) in
            (member: try r.string(), assignment: try r.nullableBytes() ?? [])
        }
        let result = await groups.sync(group: group, generation: generation, memberID: memberID, assignments: assignments)
        if version >= 1 { w.int32(0) }  // throttle_time_ms
        w.int16(result.error.rawValue)
        w.nullableBytes(result.assignment)
    }

    /// OffsetCommit v2-v7: every partition of a commit gets the same answer (it is stored whole).
    private func offsetCommit(_ version: Int16, _ r: inout KafkaReader, into w: inout KafkaWriter) async throws(KafkaDecodingError) {
        let group = try r.string()
        let generation = try r.int32()
        let memberID = try r.string()
        if version <= 4 { _ = try r.int64() }  // retention_time_ms
        if version >= 7 { _ = try r.nullableString() }  // group_instance_id
        let topics = try r.array(minimumItemSize: 6) { r throws(KafkaDecodingError) in
            let name = try r.string()
            let partitions = try r.array(minimumItemSize: 14) { r throws(KafkaDecodingError) in
                let index = try r.int32()
                let offset = try r.int64()
                if version >= 6 { _ = try r.int32() }  // committed_leader_epoch
                return (index: index, offset: offset, metadata: try r.nullableString())
            }
            return (name: name, partitions: partitions)
        }
        let commits = topics.flatMap { t in
            t.partitions.map { (topic: t.name, partition: $0.index, offset: $0.offset, metadata: $0.metadata) }
        }
        let code = await groups.commit(group: group, generation: generation, memberID: memberID, offsets: commits)
        if version >= 3 { w.int32(0) }  // throttle_time_ms
        w.array(topics) { w, t in
            w.string(t.name)
            w.array(t.partitions) { w, p in
                w.int32(p.index)
                w.int16(code.rawValue)
            }
        }
    }

    /// OffsetFetch v1-v5.
    private func offsetFetch(_ version: Int16, _ r: inout KafkaReader, into w: inout KafkaWriter) async throws(KafkaDecodingError) {
        let group = try r.string()
        let count = try r.arrayCount(minimumItemSize: 6)
        var topics: [(name: String, partitions: [Int32])]?
        if let count {
            topics = []
            for _ in 0..<count {
                let name = try r.string()
                topics!.append((name, try r.array(minimumItemSize: 4) { r throws(KafkaDecodingError) in try r.int32() }))
            }
        }
        var code = KafkaErrorCode.none
        var answer: [(topic: String, partitions: [(index: Int32, committed: GroupOffsetStore.Committed?)])] = []
        do {
            answer = try await groups.fetch(group: group, topics: topics)
        } catch {
            code = .kafkaStorageError
        }
        if version >= 3 { w.int32(0) }  // throttle_time_ms
        w.array(answer) { w, t in
            w.string(t.topic)
            w.array(t.partitions) { w, p in
                w.int32(p.index)
                w.int64(p.committed?.offset ?? -1)
                if version >= 5 { w.int32(-1) }  // committed_leader_epoch
                w.nullableString(p.committed?.metadata ?? "")
                w.int16(code.rawValue)
            }
        }
        if version >= 2 { w.int16(code.rawValue) }
    }

    /// DescribeGroups v0-v4.
    private func describeGroups(_ version: Int16, _ r: inout KafkaReader, into w: inout KafkaWriter) async throws(KafkaDecodingError) {
        let ids = try r.array(minimumItemSize: 2) { r throws(KafkaDecodingError) in try r.string() }
        if version >= 3 { _ = try r.bool() }  // include_authorized_operations
        var descriptions: [GroupCoordinator.Description] = []
        for id in ids { descriptions.append(await groups.describe(id)) }
        if version >= 1 { w.int32(0) }  // throttle_time_ms
        w.array(descriptions) { w, d in
            w.int16(KafkaErrorCode.none.rawValue)
            w.string(d.id)
            w.string(d.state)
            w.string(d.protocolType)
            w.string(d.protocolName)
            w.array(d.members) { w, m in
                w.string(m.id)
                if version >= 4 { w.nullableString(nil) }  // group_instance_id
                w.string(m.clientID)
                w.string("")  // client_host
                w.nullableBytes(m.metadata)
                w.nullableBytes(m.assignment)
            }
            if version >= 3 { w.int32(Int32.min) }  // authorized_operations
        }
    }

    // MARK: - InitProducerId (v0-v1)

    /// A new producer ID (epoch 0) for an idempotent producer; transactions are not supported.
    private func initProducerID(_ r: inout KafkaReader, into w: inout KafkaWriter) async throws(KafkaDecodingError) {
        let transactionalID = try r.nullableString()
        _ = try r.int32()  // transaction_timeout_ms
        var code = KafkaErrorCode.none
        var id: Int64 = -1
        if transactionalID != nil {
            code = .invalidRequest  // transactions are out of scope
        } else {
            do {
                id = try await producers.issueID()
            } catch {
                code = .kafkaStorageError
            }
        }
        w.int32(0)  // throttle_time_ms
        w.int16(code.rawValue)
        w.int64(id)
        w.int16(id >= 0 ? 0 : -1)
    }
}

/// A producer's record batch that cannot be taken: corrupt, or compressed with an unknown codec.
struct KafkaBatchError: Error, Sendable, CustomStringConvertible {
    var code: KafkaErrorCode
    var message: String
    var description: String { message }
}
