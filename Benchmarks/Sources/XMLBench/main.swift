// XML Schema write-time validation (issue: XML events), the reference event as XML
// (Schemas/bench/OrderPlaced.xml, 1,045 bytes, under Schemas/bench/OrderPlaced.xsd):
//  1. validation alone, per record: Canon's validator through the format seam (the framed record, as
//     the registry's `full` check gets it), beside a bare C loop over the same libxml2 calls
//     (Peers/xml_peer.c, built here with cc) and Python's lxml (which bundles its own libxml2);
// Produce throughput under `full`, XML vs Avro, is ValidationBench's `xml-full` level.
// Needs cc and libxml2-dev; lxml for its line (`pip install lxml` into the python3 on PATH).
// Usage (from Benchmarks/): swift build -c release --product XMLBench && .build/release/XMLBench [SECONDS] [RUNS]
import CanonCore
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

func require<T>(_ value: T?) throws -> T {
    guard let value else { throw NSError(domain: "XMLBench", code: 1) }
    return value
}
