import CanonKafka
import CanonLog
import Foundation
import Logging

// The Kafka door's produce throughput beside the log's library API, in one run, on the project's disk:
// N records of 100 B and 1 KiB into 4 partitions, group commit (acks once durable), no validation.
//   library: 4 tasks, one per partition, appending batches of 1,000 records and awaiting each;
//   door:    librdkafka (confluent-kafka, Sources/KafkaDoorBench/producer.py) producing the same records
//            over the Kafka protocol to a KafkaServer in this process, acks=all.
// Usage: KafkaDoorBench [RECORDS] [RUNS]   (python3 with confluent-kafka first on PATH)

let arguments = CommandLine.arguments
let count = arguments.count > 1 ? Int(arguments[1]) ?? 200_000 : 200_000
let runs = arguments.count > 2 ? Int(arguments[2]) ?? 3 : 3
let partitions = 4
let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("producer.py").path

func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

func freshLog() throws -> (LogEngine, String) {
    let path = NSTemporaryDirectory() + "canon-kafka-bench-\(UUID().uuidString)"
    let log = try LogEngine(path: path, fileSystem: PosixFileSystem())
    return (log, path)
}

func library(size: Int) async throws -> Double {
    let (log, path) = try freshLog()
    defer { try? FileManager.default.removeItem(atPath: path) }
    try await log.createTopic("bench", partitions: partitions)
    let value = [UInt8](repeating: 0x78, count: size)
    let start = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for p in 0..<partitions {
            group.addTask {
                var left = count / partitions
                while left > 0 {
                    let n = min(1000, left)
                    _ = try await log.append(
                        topic: "bench", partition: p, records: [LogRecord](repeating: LogRecord(key: nil, value: value, timestamp: 0), count: n))
                    left -= n
                }
            }
        }
        try await group.waitForAll()
    }
    let seconds = (ContinuousClock.now - start) / .seconds(1)
    await log.shutdown()
    return Double(count) / seconds
}

func door(size: Int) async throws -> Double {
    let (log, path) = try freshLog()
    defer { try? FileManager.default.removeItem(atPath: path) }
    try await log.createTopic("bench", partitions: partitions)
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let server = KafkaServer(
        broker: KafkaBroker(log: log, advertisedHost: "127.0.0.1", advertisedPort: 0), configuration: .init(host: "127.0.0.1", port: 0),
        logger: Logger(label: "bench")
    ) { continuation.yield($0) }
    let task = Task { try await server.run() }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next() else { fatalError("the server did not start") }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", script, "127.0.0.1:\(port)", String(count), String(size), String(partitions)]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    // Wait off the cooperative pool: the server's tasks need it.
    let data = await withCheckedContinuation { c in
        Thread {
            let d = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            c.resume(returning: d)
        }.start()
    }
    task.cancel()
    await log.shutdown()
    guard process.terminationStatus == 0, let seconds = Double(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    else { fatalError("the producer failed: \(String(decoding: data, as: UTF8.self))") }
    return Double(count) / seconds
}

print("KafkaDoorBench: \(count) records, \(partitions) partitions, group commit, median of \(runs) runs")
for size in [100, 1024] {
    var lib: [Double] = []
    var kafka: [Double] = []
    for _ in 0..<runs {
        lib.append(try await library(size: size))
        kafka.append(try await door(size: size))
    }
    let l = median(lib), k = median(kafka)
    print(
        String(
            format: "%5d B: library API %8.0f records/s (%6.1f MB/s) | Kafka door (librdkafka) %8.0f records/s (%6.1f MB/s) | ratio %.2f",
            size, l, l * Double(size) / 1e6, k, k * Double(size) / 1e6, k / l))
}
