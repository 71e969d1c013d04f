import CanonCore
import CanonLog

/// Where the registry's events live. Shaped for several writers later (PostgreSQL): an append names
/// the sequence it expects to follow and fails on a mismatch; readers tail with `events(after:)`.
public protocol RegistryStore: Sendable {
    /// Appends `event` after exactly `expectedSequence` events; returns the new sequence (the count of
    /// events stored). Returns only once the event is durable.
    func append(_ event: RegistryEvent, expectedSequence: Int64) async throws(RegistryError) -> Int64
    /// The events after the first `sequence` ones, in order, with the sequence each one ends.
    func events(after sequence: Int64) async throws(RegistryError) -> [(sequence: Int64, event: RegistryEvent)]

    /// The sequence the next append expects once every event was read: the last event's, or more when
    /// events were dropped at the end (a repaired log gives their sequence numbers out never again).
    func endSequence() async throws(RegistryError) -> Int64

    /// The highest schema ID ever issued, as kept apart from the events (0 when none was).
    ///
    /// The store's part of the ID invariant, **no schema ID is ever issued twice**: this mark is kept
    /// where losing, truncating or repairing the events cannot lower it, and it only goes up. The
    /// registry raises it after every event that issues an ID above it, before answering; at start a
    /// registry whose events end below it refuses to serve (unless told to accept the loss), and it never
    /// issues an ID at or below it.
    func idHighWaterMark() async throws(RegistryError) -> Int32

    /// Raises the mark to `id`, durably before returning; a lower `id` changes nothing.
    func raiseIDHighWaterMark(to id: Int32) async throws(RegistryError)
}

/// The embedded store: the internal single-partition topic `_schemas` of the log (infinite retention,
/// group commit, never validated, not deletable by users). Sequence n is the record at offset n - 1.
/// Appends are conditional on the partition's next offset (the expected sequence), and take the
/// log's group commit like any producer's.
public struct LogRegistryStore: RegistryStore {
    public static let topic = "_schemas"
    private let log: any RecordLog

    /// Uses (creating when missing) the `_schemas` topic of `log`.
    public init(log: any RecordLog) async throws(RegistryError) {
        self.log = log
        let state: PartitionLog.State?
        do throws(LogError) {
            if try await log.topic(Self.topic) == nil {
                _ = try await log.createTopic(
                    Self.topic, partitions: 1,
                    configuration: try TopicConfiguration([
                        "retention.ms": "-1", "retention.bytes": "-1", "canon.flush.policy": "group-commit",
                    ]),
                    isInternal: true)
            }
            state = try await log.partitions(of: Self.topic).first?.state
        } catch {
            throw RegistryError.storeError("cannot open the \(Self.topic) topic: \(error)")
        }
        // Events that are missing or damaged would make the registry forget schemas (and, without the
        // ID mark, hand their IDs out again): it does not start on them.
        if case .readOnly(let reason)? = state {
            throw RegistryError.storeError(
                "the registry's event log (\(Self.topic)) is damaged: \(reason). `canon log verify` shows the damage, "
                    + "`canon log repair` what repairing would lose")
        }
    }

    public func append(_ event: RegistryEvent, expectedSequence: Int64) async throws(RegistryError) -> Int64 {
        let record = LogRecord(key: nil, value: Array(event.json.jsonText.utf8), timestamp: LogDirectory.currentTimeMillis())
        do throws(LogError) {
            let placed = try await log.appendToInternalTopic(
                Self.topic, partition: 0, records: [record], expectedNextOffset: expectedSequence)
            return placed[0].offset + 1
        } catch  where error.code == .unexpectedOffset {
            throw RegistryError.storeError(
                "the \(Self.topic) topic does not hold the \(expectedSequence) events the writer expected: \(error.message)")
        } catch {
            throw RegistryError.storeError("\(error)")
        }
    }

    /// The name of the log's high-water mark holding the highest schema ID issued.
    public static let idMark = "schema-ids"

    public func endSequence() async throws(RegistryError) -> Int64 {
        do throws(LogError) {
            return try await log.partitions(of: Self.topic).first?.nextOffset ?? 0
        } catch {
            throw RegistryError.storeError("\(error)")
        }
    }

    public func idHighWaterMark() async throws(RegistryError) -> Int32 {
        do throws(LogError) {
            return Int32(clamping: try await log.highWaterMark(Self.idMark))
        } catch {
            throw RegistryError.storeError("cannot read the schema ID high-water mark: \(error)")
        }
    }

    public func raiseIDHighWaterMark(to id: Int32) async throws(RegistryError) {
        do throws(LogError) {
            try await log.raiseHighWaterMark(Self.idMark, to: Int64(id))
        } catch {
            throw RegistryError.storeError("cannot raise the schema ID high-water mark: \(error)")
        }
    }

    public func events(after sequence: Int64) async throws(RegistryError) -> [(sequence: Int64, event: RegistryEvent)] {
        var out: [(sequence: Int64, event: RegistryEvent)] = []
        var offset = sequence
        while true {
            let batches: [RecordBatch]
            do throws(LogError) {
                batches = try await log.read(topic: Self.topic, partition: 0, from: offset, maxBytes: 4 << 20)
            } catch {
                throw RegistryError.storeError("\(error)")
            }
            if batches.isEmpty { return out }
            for batch in batches {
                for (at, record) in batch.recordsWithOffsets where at >= offset {
                    guard let value = record.value, let json = try? JSONReader.parse(bytes: value), let event = RegistryEvent(json: json)
                    else {
                        throw RegistryError.storeError("record \(at) of \(Self.topic) is not a registry event")
                    }
                    out.append((at + 1, event))
                }
                offset = batch.lastOffset + 1
            }
        }
    }
}
