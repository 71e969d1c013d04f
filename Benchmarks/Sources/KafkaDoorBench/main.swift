import CanonCore
import CanonKafka
import CanonLog
import CanonRegistry
import CanonServer
import Foundation
import Logging

// The Kafka door beside the log's library API and the REST route, in one run and one process, on the
// project's disk: N records of 100 B and 1 KiB into 4 partitions, group commit (acks once durable),
// with `value.schema.validation` none and full (the value is a Confluent-framed Avro record of one
// `bytes` field, registered in this process's registry).
//   library: 4 tasks per partition, each appending batches of 1,000 records and awaiting each;
//   door:    librdkafka in C (Peers/kafka_peer.c) producing the same records over the Kafka protocol to
//            a KafkaServer over the same log, acks=all, linger 5 ms, batches up to 1 MiB;
//   REST:    wrk posting batches of 100 records (BINARY, base64) to `POST .../records:batch` for 5 s.
// Then fetch (the C consumer reading every record back through the door, against the library's reads
// of the same partitions) and the round trip of one record (acks=all through the door, one at a
// time, against one awaited library append).
// Needs cc, librdkafka-dev and wrk. Usage: KafkaDoorBench [RECORDS] [RUNS]

let arguments = CommandLine.arguments
let count = arguments.count > 1 ? Int(arguments[1]) ?? 200_000 : 200_000
let runs = arguments.count > 2 ? Int(arguments[2]) ?? 3 : 3
let partitions = 4
/// Appenders per partition in the library runs (each awaits its append before the next): enough that
/// the log's group commit, not one append's round trip, sets the pace, as the door's pipelined
/// requests do.
let tasksPerPartition = Int(ProcessInfo.processInfo.environment["CANON_BENCH_TASKS_PER_PARTITION"] ?? "") ?? 4
let benchmarks = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let root = benchmarks.appendingPathComponent(".build/kafka-door-bench-\(getpid())").path
try? FileManager.default.removeItem(atPath: root)
try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: root) }

/// With CANON_BENCH_PEER_CPUS (a `taskset` CPU list), the clients (the C peer, wrk) run on those CPUs;
/// start the benchmark itself under `taskset` on the others, and the server and the library runs share
/// them: the door then gets the same CPUs as the library API, as with a client on another machine.
let peerCPUs = ProcessInfo.processInfo.environment["CANON_BENCH_PEER_CPUS"]

func run(_ executable: String, _ arguments: [String], client: Bool = false) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = (client ? peerCPUs.map { ["taskset", "-c", $0] } ?? [] : []) + [executable] + arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { fatalError("\(executable) \(arguments) failed: \(String(decoding: data, as: UTF8.self))") }
    return String(decoding: data, as: UTF8.self)
}

/// Runs a blocking call on a thread of its own (the servers' tasks need the cooperative pool).
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { c in Thread { c.resume(with: Result { try body() }) }.start() }
}

let peer = root + "/kafka_peer"
_ = try run("cc", ["-O2", "-o", peer, benchmarks.appendingPathComponent("Peers/kafka_peer.c").path, "-lrdkafka"])

func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

let quiet: Logger = {
    var logger = Logger(label: "bench")
    logger.logLevel = .critical
    return logger
}()
let catalog = SchemaCatalog()
let log = try LogEngine(path: root + "/data", fileSystem: PosixFileSystem(), validator: RegistryRecordValidator(catalog: catalog))
let registry = try await Registry(store: try await LogRegistryStore(log: log), catalog: catalog)
let schema = #"{"type":"record","name":"Blob","namespace":"bench","fields":[{"name":"data","type":"bytes"}]}"#
var topicNumber = 0

/// A fresh topic named `bench-N` under `validation`, its value schema registered; the framed value of
/// `size` bytes that fits it.
@MainActor func freshTopic(_ validation: String, size: Int) async throws -> (name: String, value: [UInt8]) {
    topicNumber += 1
    let name = "bench-\(topicNumber)"
    let id = try await registry.register(subject: "\(name)-value", schema: schema).id
    try await log.createTopic(name, partitions: partitions, configuration: try TopicConfiguration(["value.schema.validation": validation]))
    // Magic 0, the schema ID, then the Avro record: the data's zig-zag length and the data.
    var value: [UInt8] = [0] + withUnsafeBytes(of: id.bigEndian, Array.init)
    let dataLength = size - value.count - 2
    var zigzag = UInt64(dataLength) << 1
    while zigzag >= 0x80 {
        value.append(UInt8(zigzag & 0x7F) | 0x80)
        zigzag >>= 7
    }
    value.append(UInt8(zigzag))
    value += [UInt8](repeating: 0x78, count: size - value.count)
    return (name, value)
}

/// Writes back every dirty page before a timed run, so that no run pays for the one before it.
func settle() { sync() }

func library(_ topic: String, _ value: [UInt8]) async throws -> Double {
    settle()
    let start = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for task in 0..<(partitions * tasksPerPartition) {
            let p = task % partitions
            group.addTask {
                var left = count / (partitions * tasksPerPartition)
                while left > 0 {
                    let n = min(1000, left)
                    _ = try await log.append(
                        topic: topic, partition: p, records: [LogRecord](repeating: LogRecord(key: nil, value: value, timestamp: 0), count: n))
                    left -= n
                }
            }
        }
        try await group.waitForAll()
    }
    return Double(count) / ((ContinuousClock.now - start) / .seconds(1))
}

/// The library's read of every record of a topic, batch by batch, decoded (what a REST or embedded
/// reader does).
func libraryRead(_ topic: String) async throws -> Double {
    let start = ContinuousClock.now
    var seen = 0
    for p in 0..<partitions {
        var offset: Int64 = 0
        while true {
            let batches = try await log.read(topic: topic, partition: p, from: offset, maxBytes: 4 << 20)
            guard let last = batches.last else { break }
            seen += batches.reduce(0) { $0 + $1.records.count }
            offset = last.lastOffset + 1
        }
    }
    precondition(seen == count)
    return Double(count) / ((ContinuousClock.now - start) / .seconds(1))
}

/// A KafkaServer over the log for the duration of `body`, which gets its port. The C peer names the
/// topic `bench`: `rename` maps it to the run's topic.
func withDoor<T: Sendable>(_ body: (Int) async throws -> T) async throws -> T {
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let server = KafkaServer(
        broker: KafkaBroker(log: log, advertisedHost: "127.0.0.1", advertisedPort: 0), configuration: .init(host: "127.0.0.1", port: 0),
        logger: quiet
    ) { continuation.yield($0) }
    let task = Task { try await server.run() }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next() else { fatalError("the server did not start") }
    defer { task.cancel() }
    return try await body(port)
}

/// The peer writes to and reads from `bench`: the run's topic is made under that name, then renamed by
/// deleting it after the run.
func door(_ value: [UInt8]) async throws -> (produce: Double, fetch: Double) {
    let file = root + "/value"
    try Data(value).write(to: URL(fileURLWithPath: file))
    settle()
    return try await withDoor { port in
        let produced = try await offPool { try run(peer, ["produce", "127.0.0.1:\(port)", String(count), String(partitions), file], client: true) }
        let fetched = try await offPool { try run(peer, ["consume", "127.0.0.1:\(port)", String(count), String(partitions)], client: true) }
        return (Double(count) / Double(produced.split(separator: "\n")[0])!, Double(count) / Double(fetched.split(separator: "\n")[0])!)
    }
}

func rest(_ topic: String, _ value: [UInt8], seconds: Int = 5) async throws -> Double {
    settle()
    let port = 18_000 + Int(getpid() % 1000)
    let app = RegistryServer.application(registry: registry, log: log, configuration: .init(port: port, maximumBodyBytes: 4 << 20), logger: quiet)
    let server = Task { try await app.runService() }
    defer { server.cancel() }
    try await Task.sleep(for: .milliseconds(300))
    let entry = JSONValue.object(["value": .object(["type": .string("BINARY"), "data": .string(Data(value).base64EncodedString())])])
    let body = JSONValue.object(["entries": .array([JSONValue](repeating: entry, count: 100))]).jsonText
    let script = root + "/records.lua"
    try """
    wrk.method = "POST"
    wrk.body = [==[\(body)]==]
    wrk.headers["Content-Type"] = "application/json"
    """.write(toFile: script, atomically: true, encoding: .utf8)
    let output = try await offPool {
        try run("wrk", ["-t1", "-c16", "-d\(seconds)s", "-s", script, "http://127.0.0.1:\(port)/v3/clusters/canon/topics/\(topic)/records:batch"], client: true)
    }
    guard !output.contains("Non-2xx"), let line = output.split(separator: "\n").first(where: { $0.hasPrefix("Requests/sec:") }),
        let rate = Double(line.split(separator: " ").last ?? "")
    else { fatalError("unexpected wrk output:\n\(output)") }
    return rate * 100
}

/// p50 and p99 (µs) of one record's round trip: through the door (acks=all, one at a time) and one
/// awaited library append.
func latency(_ value: [UInt8], records: Int = 2000) async throws -> (door: (Double, Double), library: (Double, Double)) {
    let file = root + "/value"
    try Data(value).write(to: URL(fileURLWithPath: file))
    let doorText = try await withDoor { port in
        try await offPool { try run(peer, ["latency", "127.0.0.1:\(port)", String(records), file], client: true) }
    }
    let d = doorText.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Double($0) }
    var times: [Double] = []
    for _ in 0..<records {
        let start = ContinuousClock.now
        _ = try await log.append(topic: "bench", partition: 0, records: [LogRecord(key: nil, value: value, timestamp: 0)])
        times.append((ContinuousClock.now - start) / .microseconds(1))
    }
    times.sort()
    return ((d[0], d[1]), (times[records / 2], times[records * 99 / 100]))
}

/// Makes `bench` the topic under test (the C peer's fixed name).
@MainActor func benchTopic(_ validation: String, size: Int) async throws -> [UInt8] {
    if try await log.topic("bench") != nil { try await log.deleteTopic("bench") }
    let id = try await registry.register(subject: "bench-value", schema: schema).id
    try await log.createTopic("bench", partitions: partitions, configuration: try TopicConfiguration(["value.schema.validation": validation]))
    let (_, value) = try await freshTopic(validation, size: size)
    return [0] + withUnsafeBytes(of: id.bigEndian, Array.init) + value.dropFirst(5)
}

// For profiling: only the door's produce of 1 KiB records without validation (CANON_BENCH_ONLY=door).
if ProcessInfo.processInfo.environment["CANON_BENCH_ONLY"] == "door" {
    let value = try await benchTopic("none", size: 1024)
    let file = root + "/value"
    try Data(value).write(to: URL(fileURLWithPath: file))
    let seconds = try await withDoor { port in
        try await offPool { try run(peer, ["produce", "127.0.0.1:\(port)", String(count), String(partitions), file], client: true) }
    }
    print("door produce, 1 KiB, no validation: \(Int(Double(count) / Double(seconds.split(separator: "\n")[0])!)) records/s")
    await log.shutdown()
    exit(0)
}

if ProcessInfo.processInfo.environment["CANON_BENCH_ONLY"] == "library" {
    let (topic, value) = try await freshTopic("none", size: 1024)
    print("library append, 1 KiB, no validation: \(Int(try await library(topic, value))) records/s")
    await log.shutdown()
    exit(0)
}

print("KafkaDoorBench: \(count) records, \(partitions) partitions, group commit, median of \(runs) runs")
for size in [100, 1024] {
    for validation in ["none", "full"] {
        var lib: [Double] = [], kafka: [Double] = [], http: [Double] = [], fetch: [Double] = [], read: [Double] = []
        for _ in 0..<runs {
            let (topic, value) = try await freshTopic(validation, size: size)
            lib.append(try await library(topic, value))
            read.append(try await libraryRead(topic))
            try await log.deleteTopic(topic)
            let benchValue = try await benchTopic(validation, size: size)
            let (produced, fetched) = try await door(benchValue)
            kafka.append(produced)
            fetch.append(fetched)
            let (restTopic, restValue) = try await freshTopic(validation, size: size)
            http.append(try await rest(restTopic, restValue))
            try await log.deleteTopic(restTopic)
        }
        let l = median(lib), k = median(kafka), h = median(http), f = median(fetch), r = median(read)
        print(
            String(
                format:
                    "%5d B %@: produce records/s: library %8.0f | Kafka door %8.0f (%.2f of library) | REST %8.0f (%.2f) || fetch: door %8.0f, library read %8.0f (%.2f)",
                size, validation.padding(toLength: 4, withPad: " ", startingAt: 0), l, k, k / l, h, h / l, f, r, f / r))
    }
    let value = try await benchTopic("full", size: size)
    let (d, l) = try await latency(value)
    print(String(format: "%5d B full: one record's round trip: door p50 %.0f us, p99 %.0f us | library p50 %.0f us, p99 %.0f us", size, d.0, d.1, l.0, l.1))
}
await log.shutdown()
