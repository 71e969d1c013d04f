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
        do throws(LogError) {
            if try await log.topic(Self.topic) == nil {
                _ = try await log.createTopic(
                    Self.topic, partitions: 1,
                    configuration: try TopicConfiguration([
                        "retention.ms": "-1", "retention.bytes": "-1", "canon.flush.policy": "group-commit",
                    ]),
                    isInternal: true)
            }
        } catch {
            throw RegistryError.storeError("cannot open the \(Self.topic) topic: \(error)")
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
                for (i, record) in batch.records.enumerated() where batch.baseOffset + Int64(i) >= offset {
                    let at = batch.baseOffset + Int64(i)
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
