// XML Schema write-time validation (issue: XML events), the reference event as XML
// (Schemas/bench/OrderPlaced.xml, 1,045 bytes, under Schemas/bench/OrderPlaced.xsd):
//  1. validation alone, per record: Canon's validator through the format seam (the framed record, as
//     the registry's `full` check gets it), beside a bare C loop over the same libxml2 calls
//     (Peers/xml_peer.c, built here with cc) and Python's lxml (which bundles its own libxml2);
//  2. produce throughput under `full` through LogEngine: the XML event vs the Avro reference event
//     (198 bytes), 4 producers, batches of 100, flush policy `never`.
// Needs cc and libxml2-dev; lxml for its line (`pip install lxml` into the python3 on PATH).
// Usage (from Benchmarks/): swift build -c release --product XMLBench && .build/release/XMLBench [SECONDS] [RUNS]
import CanonCore
import CanonLog
import CanonRegistry
import Foundation

let arguments = CommandLine.arguments
let seconds = arguments.count > 1 ? Double(arguments[1]) ?? 3 : 3
let runs = arguments.count > 2 ? Int(arguments[2]) ?? 5 : 5
let benchmarks = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let packageRoot = benchmarks.deletingLastPathComponent()
let root = benchmarks.appendingPathComponent(".build/xml-bench-\(getpid())").path
try? FileManager.default.removeItem(atPath: root)
try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: root) }

let xsdPath = packageRoot.appendingPathComponent("Schemas/bench/OrderPlaced.xsd").path
let xmlPath = packageRoot.appendingPathComponent("Schemas/bench/OrderPlaced.xml").path
let xsd = try String(contentsOfFile: xsdPath, encoding: .utf8)
let xml = Array(try Data(contentsOf: URL(fileURLWithPath: xmlPath)))

func nanos() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

@discardableResult
func run(_ executable: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [executable] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw NSError(domain: "XMLBench", code: Int(process.terminationStatus)) }
    return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}

// 1. Validation alone.
let format = try require(SchemaFormats.builtIn[SchemaType(rawValue: "XSD")])
let schema = try format.makeParser().parse(xsd)
let validator = schema.makeValidator()
let framed = ConfluentFraming.prefix(schemaID: 1) + xml
try validator.validatePayload(framed, from: 5, limits: .default)
let peer = root + "/xml_peer"
let flags = try run("pkg-config", ["--cflags", "--libs", "libxml-2.0"]).split(separator: " ").map(String.init)
try run("cc", ["-O2", "-o", peer, benchmarks.appendingPathComponent("Peers/xml_peer.c").path] + flags)
let lxmlScript = """
    import sys, time
    from lxml import etree
    schema = etree.XMLSchema(etree.parse(sys.argv[1]))
    data = open(sys.argv[2], 'rb').read()
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    n = int(sys.argv[3])
    start = time.perf_counter_ns()
    for _ in range(n):
        if not schema.validate(etree.fromstring(data, parser)): sys.exit(1)
    print((time.perf_counter_ns() - start) / n)
    """
let lxmlAvailable = (try? run("python3", ["-c", "import lxml"])) != nil

var canon: [Double] = [], c: [Double] = [], lxml: [Double] = []
let n = 50_000
for _ in 0..<runs {
    let start = nanos()
    for _ in 0..<n { try validator.validatePayload(framed, from: 5, limits: .default) }
    canon.append(Double(nanos() - start) / Double(n))
    c.append(Double(try run(peer, [xsdPath, xmlPath, "\(n)"]))!)
    if lxmlAvailable { lxml.append(Double(try run("python3", ["-c", lxmlScript, xsdPath, xmlPath, "\(n)"]))!) }
}
print(
    String(
        format: "validation of the 1,045-byte XML event, per record (median of %d): Canon %.0f ns, C loop over libxml2 %.0f ns (Canon/C %.2fx)",
        runs, median(canon), median(c), median(canon) / median(c)) + (lxml.isEmpty ? ", lxml not installed" : String(format: ", lxml %.0f ns", median(lxml))))

// 2. Produce throughput under `full`: XML vs Avro.
let catalog = SchemaCatalog()
let engine = try LogEngine(path: root + "/data", fileSystem: PosixFileSystem(), validator: RegistryRecordValidator(catalog: catalog))
let registry = try await Registry(store: try await LogRegistryStore(log: engine), catalog: catalog)
let xmlID = try await registry.register(subject: "orders-xml-value", schema: xsd, schemaType: SchemaType(rawValue: "XSD")).id
let avroID = try await registry.register(
    subject: "orders-avro-value",
    schema: try String(contentsOf: packageRoot.appendingPathComponent("Schemas/bench/OrderPlaced.avsc"), encoding: .utf8)
).id
let avroHex = "4833663262386331652d396134642d346537622d386332662d3161356436653766383039319693d89fee47f6a1abfef962020612d687064555520614534b552d303030313233043d0ad7a370fd334014534b552d303034353637020000000000306f4014534b552d3038393031320a0000000000000e4000040e6368616e6e656c067765621063616d706169676e18626c61636b2d66726964617900020c5341564531300220486175707473747261737365203132330c4265726c696e0a3130313135044445"
let avro: [UInt8] = stride(from: 0, to: avroHex.count, by: 2).map { i in
    UInt8(avroHex[avroHex.index(avroHex.startIndex, offsetBy: i)..<avroHex.index(avroHex.startIndex, offsetBy: i + 2)], radix: 16)!
}
let values = ["xml": ConfluentFraming.prefix(schemaID: xmlID) + xml, "avro": ConfluentFraming.prefix(schemaID: avroID) + avro]

// @unchecked Sendable: `n` is only touched with `lock` held.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add(_ k: Int) { lock.withLock { n += k } }
    var value: Int { lock.withLock { n } }
}

func produce(_ kind: String) async throws -> (records: Double, bytes: Double) {
    let topic = "orders-\(kind)"
    if try await engine.topic(topic) != nil { try await engine.deleteTopic(topic) }
    try await engine.createTopic(
        topic, partitions: 4, configuration: try TopicConfiguration(["value.schema.validation": "full", "canon.flush.policy": "never"]))
    let value = values[kind]!
    let batch = (0..<100).map { i in LogRecord(key: Array("order-\(i)".utf8), value: value, timestamp: 1_764_000_000_000) }
    let count = Counter()
    let end = nanos() + UInt64(seconds * 1e9)
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
    return (Double(count.value) / elapsed, Double(count.value * value.count) / elapsed)
}

var rates: [String: [Double]] = [:], bytes: [String: [Double]] = [:]
_ = try await produce("avro")  // warm up
for round in 0..<runs {
    for kind in round % 2 == 0 ? ["xml", "avro"] : ["avro", "xml"] {
        let (r, b) = try await produce(kind)
        rates[kind, default: []].append(r)
        bytes[kind, default: []].append(b)
    }
}
for kind in ["xml", "avro"] {
    print(
        String(
            format: "produce under full, %@ (%d bytes framed): %.0f k records/s, %.1f MB/s (median of %d)", kind, values[kind]!.count,
            median(rates[kind]!) / 1000, median(bytes[kind]!) / 1e6, runs))
}
await engine.shutdown()

func require<T>(_ value: T?) throws -> T {
    guard let value else { throw NSError(domain: "XMLBench", code: 1) }
    return value
}
