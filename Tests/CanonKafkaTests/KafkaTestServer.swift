import CanonKafka
import CanonLog
import CanonLogTestKit
import Foundation
import Logging
import ServiceLifecycle

/// Refuses values that start with `bad`: a stand-in for schema validation.
struct RefusingValidator: RecordValidator {
    func validate(topic: String, configuration: TopicConfiguration, partition: Int, records: [LogRecord]) -> [RecordRejection] {
        records.enumerated().compactMap { i, r in
            r.value.map { Array($0.prefix(3)) == Array("bad".utf8) } == true
                ? RecordRejection(index: i, reason: "value starts with 'bad'", part: "value") : nil
        }
    }

    /// Refuses a misspelt validation setting, as the registry's validator does.
    func checkSettings(_ settings: [String: String]) throws(LogError) {
        if let typo = settings.keys.first(where: { $0.contains("validaton") }) {
            throw LogError(.invalidConfiguration, "unknown topic setting '\(typo)'")
        }
    }
}

/// A Kafka door on a free port over an in-memory log (topics created first), for the length of `body`.
/// A `fileSystem` given twice is a restart: the second server opens what the first one wrote.
func withKafkaServer(
    topics: [String: Int] = ["orders": 2], fileSystem: FaultInjectingFileSystem = FaultInjectingFileSystem(), advertisedPort: Int = 0,
    _ body: @Sendable (_ port: Int, _ log: LogEngine) async throws -> Void
) async throws {
    let log = try LogEngine(path: "/data", fileSystem: fileSystem, validator: RefusingValidator())
    for (name, partitions) in topics where try await log.topic(name) == nil { try await log.createTopic(name, partitions: partitions) }
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let server = KafkaServer(
        broker: KafkaBroker(log: log, advertisedHost: "127.0.0.1", advertisedPort: advertisedPort),
        configuration: .init(host: "127.0.0.1", port: 0)
    ) { continuation.yield($0) }
    let group = ServiceGroup(services: [server], logger: Logger(label: "canon.kafka.test"))
    async let running: Void = group.run()
    var iterator = ports.makeAsyncIterator()
    let port = await iterator.next() ?? 0
    let outcome: Result<Void, any Error>
    do {
        try await body(port, log)
        outcome = .success(())
    } catch {
        outcome = .failure(error)
    }
    await group.triggerGracefulShutdown()
    try? await running
    await log.shutdown()
    try outcome.get()
}
