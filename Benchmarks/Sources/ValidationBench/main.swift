// Write-time validation of the reference event (Schemas/bench/OrderPlaced.avsc, 198 bytes + the
// 5-byte Confluent prefix):
//  1. validation alone, per record: AvroDatumValidator (beside the generic decoder, for scale), and the whole RegistryRecordValidator (policy, frame,
//     subject membership, payload) on batches of 100;
//  2. produce throughput through LogEngine with validation none, id and full side by side: 4 producers,
//     batches of 100, flush policy `never` (the cost of validation, not of fdatasync); and `json-full`,
//     the same event as JSON (Schemas/bench/OrderPlaced.json, 480 bytes) under its JSON Schema twin, and
//     `xml-full`, as XML (Schemas/bench/OrderPlaced.xml, 1,045 bytes) under its XML Schema twin.
//
// Usage (from Benchmarks/): swift build -c release --product ValidationBench && .build/release/ValidationBench [SECONDS] [RUNS]
// Each round runs the levels back to back (the order alternates between rounds) on emptied topics, with
// the page cache dropped between runs when run as root; the ratio full/none is taken per round, and its
// median and spread are printed.
// CANON_BENCH_ONLY=validate (or decode) runs only a fixed number (CANON_BENCH_N) of validations, and
// CANON_BENCH_ONLY=produce-none (or produce-full) only CANON_BENCH_N appends of a batch of 100 from 4
// producers: for callgrind, whose counts per record do not depend on what the machine is doing.
import CanonAvro
import CanonCore
import CanonLog
import CanonRegistry
import Foundation

let arguments = CommandLine.arguments
let seconds = arguments.count > 1 ? Double(arguments[1]) ?? 3 : 3
let runs = arguments.count > 2 ? Int(arguments[2]) ?? 5 : 5
let only = ProcessInfo.processInfo.environment["CANON_BENCH_ONLY"]
let benchmarkRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let packageRoot = benchmarkRoot.deletingLastPathComponent()
let root = benchmarkRoot.appendingPathComponent(".build/validation-bench-\(getpid())").path
try? FileManager.default.removeItem(atPath: root)
defer { try? FileManager.default.removeItem(atPath: root) }

let schemaText = try String(contentsOf: packageRoot.appendingPathComponent("Schemas/bench/OrderPlaced.avsc"), encoding: .utf8)
let hex = "4833663262386331652d396134642d346537622d386332662d3161356436653766383039319693d89fee47f6a1abfef962020612d687064555520614534b552d303030313233043d0ad7a370fd334014534b552d303034353637020000000000306f4014534b552d3038393031320a0000000000000e4000040e6368616e6e656c067765621063616d706169676e18626c61636b2d66726964617900020c5341564531300220486175707473747261737365203132330c4265726c696e0a3130313135044445"
let payload: [UInt8] = stride(from: 0, to: hex.count, by: 2).map { i in
    UInt8(hex[hex.index(hex.startIndex, offsetBy: i)..<hex.index(hex.startIndex, offsetBy: i + 2)], radix: 16)!
}
let schema = try AvroSchema(parsing: schemaText)
let compiled = AvroDatumValidator(schema)
try schema.validate(payload)
try compiled.validate(payload)

func nanos() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
@inline(never) func blackHole<T>(_ x: T) { withExtendedLifetime(x) {} }

if only == "validate" {
    let n = Int(ProcessInfo.processInfo.environment["CANON_BENCH_N"] ?? "") ?? 1_000_000
    for _ in 0..<n { try compiled.validate(payload) }
    try? FileManager.default.removeItem(atPath: root)
    exit(0)
}
if only == "decode" {
    let n = Int(ProcessInfo.processInfo.environment["CANON_BENCH_N"] ?? "") ?? 1_000_000
    for _ in 0..<n { blackHole(try schema.decode(payload)) }
    try? FileManager.default.removeItem(atPath: root)
    exit(0)
}

let catalog = SchemaCatalog()
let engine = try LogEngine(path: root, fileSystem: PosixFileSystem(), validator: RegistryRecordValidator(catalog: catalog))
let registry = try await Registry(store: try await LogRegistryStore(log: engine), catalog: catalog)
var id: Int32 = 0
/// Creates (again) the topic of a level: each run starts on an empty topic, so deleted files drop their
/// dirty pages and no run pays for the page cache filled by the ones before it.
func freshTopic(_ level: String) async throws {
    if try await engine.topic("orders-\(level)") != nil { try await engine.deleteTopic("orders-\(level)") }
    let validation = level.hasSuffix("-full") ? "full" : level
    try await engine.createTopic("orders-\(level)", partitions: 4,
                                 configuration: try TopicConfiguration(level == "none" ? ["canon.flush.policy": "never"] : ["value.schema.validation": validation, "canon.flush.policy": "never"]))
}
for level in ["full", "id", "none"] {
    id = try await registry.register(subject: "orders-\(level)-value", schema: schemaText).id
    try await freshTopic(level)
}
let framed = [0] + withUnsafeBytes(of: id.bigEndian, Array.init) + payload
let batch = (0..<100).map { i in LogRecord(key: Array("order-\(i)".utf8), value: framed, timestamp: 1_764_000_000_000) }
// The same event as JSON (Schemas/bench/OrderPlaced.json) under its JSON Schema twin: level `json-full`.
let jsonSchemaText = try String(contentsOf: packageRoot.appendingPathComponent("Schemas/bench/OrderPlaced.schema.json"), encoding: .utf8)
let jsonID = try await registry.register(subject: "orders-json-full-value", schema: jsonSchemaText, schemaType: .json).id
try await freshTopic("json-full")
let jsonFramed = ConfluentFraming.prefix(schemaID: jsonID)
    + Array(try String(contentsOf: packageRoot.appendingPathComponent("Schemas/bench/OrderPlaced.json"), encoding: .utf8).utf8.filter { $0 != 0x0A })
let jsonBatch = (0..<100).map { i in LogRecord(key: Array("order-\(i)".utf8), value: jsonFramed, timestamp: 1_764_000_000_000) }
// And as XML under its XML Schema twin: level `xml-full`.
let xmlSchemaText = try String(contentsOf: packageRoot.appendingPathComponent("Schemas/bench/OrderPlaced.xsd"), encoding: .utf8)
let xmlID = try await registry.register(subject: "orders-xml-full-value", schema: xmlSchemaText, schemaType: SchemaType(rawValue: "XSD")).id
try await freshTopic("xml-full")
let xmlFramed = ConfluentFraming.prefix(schemaID: xmlID)
    + Array(try Data(contentsOf: packageRoot.appendingPathComponent("Schemas/bench/OrderPlaced.xml")))
let xmlBatch = (0..<100).map { i in LogRecord(key: Array("order-\(i)".utf8), value: xmlFramed, timestamp: 1_764_000_000_000) }

// CANON_BENCH_ONLY=lookup: CANON_BENCH_N lookups of the reference event on the Registry actor (no HTTP,
// no response cache): what a lookup that misses the server's cache costs. Here rather than in
// RegistryBench because valgrind cannot run that binary.
if only == "lookup" {
    let n = Int(ProcessInfo.processInfo.environment["CANON_BENCH_N"] ?? "") ?? 10_000
    for _ in 0..<n {
        let found = try await registry.lookup(subject: "orders-full-value", schema: schemaText)
        precondition(found.id == id)
    }
    await engine.shutdown()
    try? FileManager.default.removeItem(atPath: root)
    exit(0)
}

if let level = only.flatMap({ $0.hasPrefix("produce-") ? String($0.dropFirst(8)) : nil }) {
    let n = Int(ProcessInfo.processInfo.environment["CANON_BENCH_N"] ?? "") ?? 10_000
    let topic = "orders-\(level)"
    try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<4 { group.addTask { for _ in 0..<(n / 4) { _ = try await engine.append(topic: topic, records: batch) } } }
        try await group.waitForAll()
    }
    await engine.shutdown()
    try? FileManager.default.removeItem(atPath: root)
    exit(0)
}

if only == "validator" {
    let v = RegistryRecordValidator(catalog: catalog)
    let configuration = try TopicConfiguration(["value.schema.validation": "full"])
    for _ in 0..<30_000 { blackHole(v.validate(topic: "orders-full", configuration: configuration, partition: 0, records: batch)) }
    await engine.shutdown()
    try? FileManager.default.removeItem(atPath: root)
    exit(0)
}

// 1. Validation alone.
var alone: [Double] = [], decoded: [Double] = [], whole: [Double] = [], idSmall: [Double] = [], fullSmall: [Double] = []
// The partitioner splits a batch of 100 four ways: the validator sees about 25 records at a time.
let quarter = Array(batch.prefix(25))
let idConfiguration = try TopicConfiguration(["value.schema.validation": "id"])
let validator = RegistryRecordValidator(catalog: catalog)
let fullConfiguration = try TopicConfiguration(["value.schema.validation": "full"])
for _ in 0..<runs {
    let n = 200_000
    var start = nanos()
    for _ in 0..<n { try compiled.validate(payload) }
    alone.append(Double(nanos() - start) / Double(n))
    start = nanos()
    for _ in 0..<n { blackHole(try schema.decode(payload)) }
    decoded.append(Double(nanos() - start) / Double(n))
    start = nanos()
    for _ in 0..<(n / 100) { blackHole(validator.validate(topic: "orders-full", configuration: fullConfiguration, partition: 0, records: batch)) }
    whole.append(Double(nanos() - start) / Double(n))
    start = nanos()
    for _ in 0..<(n / 25) { blackHole(validator.validate(topic: "orders-id", configuration: idConfiguration, partition: 0, records: quarter)) }
    idSmall.append(Double(nanos() - start) / Double(n))
    start = nanos()
    for _ in 0..<(n / 25) { blackHole(validator.validate(topic: "orders-full", configuration: fullConfiguration, partition: 0, records: quarter)) }
    fullSmall.append(Double(nanos() - start) / Double(n))
}
print(String(format: "validation of one reference event: AvroDatumValidator (compiled) %.0f ns, generic decode (AvroSchema.decode, the same reader building values) %.0f ns, RegistryRecordValidator (full, in batches of 100) %.0f ns per record", median(alone), median(decoded), median(whole)))
print(String(format: "RegistryRecordValidator in batches of 25 (what each partition gets): id %.0f ns, full %.0f ns per record", median(idSmall), median(fullSmall)))

/// CPU time of the whole process (every thread), user plus system, in nanoseconds.
func cpuNanos() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e9 + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e3
}

// 2. Produce throughput per level, and the CPU time it takes per record (steadier than throughput on a
// shared machine: it does not count time spent waiting for a core).
func produce(_ topic: String) async throws -> (Double, Double, Double) {
    let batch = topic == "orders-json-full" ? jsonBatch : topic == "orders-xml-full" ? xmlBatch : batch
    let framed = topic == "orders-json-full" ? jsonFramed : topic == "orders-xml-full" ? xmlFramed : framed
    let count = Counter()
    let end = nanos() + UInt64(seconds * 1e9)
    let cpuStart = cpuNanos()
    let start = nanos()
    try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<4 {
            group.addTask {
                while nanos() < end {
                    _ = try await engine.append(topic: topic, records: batch)
                    count.add(batch.count)
                }
            }
        }
        try await group.waitForAll()
    }
    let elapsed = Double(nanos() - start) / 1e9
    return (Double(count.value) / elapsed, Double(count.value * framed.count) / elapsed, (cpuNanos() - cpuStart) / Double(count.value))
}

// @unchecked Sendable: `n` is only touched with `lock` held.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add(_ k: Int) { lock.withLock { n += k } }
    var value: Int { lock.withLock { n } }
}

/// Drops the page cache when allowed (root): no run pays for the dirty pages of the one before.
func dropPageCache() {
    sync()
    if let drop = FileHandle(forWritingAtPath: "/proc/sys/vm/drop_caches") {
        drop.write(Data("3\n".utf8))
        try? drop.close()
    }
}

var rates: [String: [Double]] = [:], bytes: [String: [Double]] = [:], cpu: [String: [Double]] = [:]
_ = try await produce("orders-none")  // warm up
for run in 0..<runs {
    // Alternate the order so that no level always runs first.
    for level in (ProcessInfo.processInfo.environment["CANON_BENCH_LEVELS"]?.split(separator: ",").map(String.init)) ?? (run % 2 == 0 ? ["none", "id", "full", "json-full", "xml-full"] : ["xml-full", "json-full", "full", "id", "none"]) {
        try await freshTopic(level)
        dropPageCache()
        let (r, b, c) = try await produce("orders-\(level)")
        if ProcessInfo.processInfo.environment["CANON_BENCH_VERBOSE"] != nil { print(level, Int(r), Int(c)) }
        rates[level, default: []].append(r)
        bytes[level, default: []].append(b)
        cpu[level, default: []].append(c)
    }
}
for level in ["none", "id", "full", "json-full", "xml-full"] where rates[level] != nil {
    let ratios = zip(rates[level]!, rates["none"] ?? rates[level]!).map { 100 * $0 / $1 }
    print(String(format: "produce, validation %@: %.0f k records/s (runs %@ k), %.0f MB/s; per round %.0f%% of none (median; rounds %.0f-%.0f%%)",
                 level as NSString, median(rates[level]!) / 1e3,
                 rates[level]!.map { String(format: "%.0f", $0 / 1e3) }.joined(separator: ", ") as NSString,
                 median(bytes[level]!) / 1e6, median(ratios), ratios.min()!, ratios.max()!))
}
for level in ["none", "id", "full"] where cpu[level] != nil {
    let costs = cpu[level]!
    print(String(format: "CPU per record, validation %@: %.0f ns (runs %@); none's CPU per record is %.0f%% of this", level as NSString,
                 median(costs), costs.map { String(format: "%.0f", $0) }.joined(separator: ", ") as NSString,
                 100 * median(cpu["none"] ?? costs) / median(costs)))
}
await engine.shutdown()
try? FileManager.default.removeItem(atPath: root)
exit(0)
