// Compatibility checks of the reference event (Schemas/bench/OrderPlaced.avsc), with the Python `avro`
// package's checker (Tests/Interop/compat_peer.py) run side by side in the same run:
//  1. one reader/writer check: OrderPlaced + one field with a default, reading OrderPlaced;
//  2. a BACKWARD_TRANSITIVE check of a new version against 100 earlier versions;
//  and with CANON_BENCH_ONLY=union, alone: a union of 10,000 records against the same union reversed.
//
// Usage (from Benchmarks/): swift build -c release && .build/release/CompatBench [ITERATIONS] [RUNS]
// The Python peer needs fastavro/avro: run ../scripts/test once, or set CANON_PYTHON.
import CanonAvro
import CanonCore
import Foundation

let arguments = CommandLine.arguments
let iterations = arguments.count > 1 ? Int(arguments[1]) ?? 20_000 : 20_000
let runs = arguments.count > 2 ? Int(arguments[2]) ?? 5 : 5

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
let base = try String(contentsOf: packageRoot.appendingPathComponent("Schemas/bench/OrderPlaced.avsc"), encoding: .utf8)
    .trimmingCharacters(in: .whitespacesAndNewlines)

/// OrderPlaced with `n` extra optional fields, each with a default.
func version(_ n: Int) -> String {
    guard n > 0 else { return base }
    let extra = (1...n).map { #"{"name":"extra\#($0)","type":["null","string"],"default":null}"# }.joined(separator: ",")
    return String(base.dropLast(2)) + "," + extra + "]}"
}

@inline(never) func blackHole<T>(_ x: T) { withExtendedLifetime(x) {} }

func measure(_ name: String, iterations: Int, _ body: () -> Void) -> Double {
    for _ in 0..<max(1, iterations / 10) { body() }
    var samples: [Double] = []
    for _ in 0..<runs {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<iterations { body() }
        samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / Double(iterations) / 1000)
    }
    let median = samples.sorted()[samples.count / 2]
    print(String(format: "%-44@ median %9.2f µs/check   runs: %@", name as NSString, median,
                 samples.map { String(format: "%.2f", $0) }.joined(separator: " ") as NSString))
    return median
}

// Files for the Python peer.
let dir = FileManager.default.temporaryDirectory.appendingPathComponent("canon-compat-bench-\(getpid())")
let previousDir = dir.appendingPathComponent("previous")
try FileManager.default.createDirectory(at: previousDir, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: dir) }
try base.write(to: dir.appendingPathComponent("writer.avsc"), atomically: true, encoding: .utf8)
try version(1).write(to: dir.appendingPathComponent("reader.avsc"), atomically: true, encoding: .utf8)
for i in 0..<100 {
    try version(i).write(to: previousDir.appendingPathComponent(String(format: "v%03d.avsc", i)), atomically: true, encoding: .utf8)
}
try version(100).write(to: dir.appendingPathComponent("new.avsc"), atomically: true, encoding: .utf8)

let writer = try AvroSchema(parsing: base)
let reader = try AvroSchema(parsing: version(1))
let readable = try reader.canRead(dataWrittenWith: writer)
precondition(readable)
let previous = try (0..<100).map { try AvroSchema(parsing: version($0)) }
let newest = try AvroSchema(parsing: version(100))
let transitiveOK = try CompatibilityLevel.backwardTransitive.check(newest, against: previous, using: AvroCompatibilityChecker()).isCompatible
precondition(transitiveOK)

// For instruction counts under callgrind: CANON_BENCH_ONLY=pair or =transitive runs that loop alone.
let only = ProcessInfo.processInfo.environment["CANON_BENCH_ONLY"]
// CANON_BENCH_ONLY=union: a union of 10,000 named records checked against the same union reversed, both
// ways (parse excluded), RUNS times: the hostile check of issue 13 (92.6 s and 4.9 GB before it).
if only == "union" {
    let record = { (i: Int) in #"{"type":"record","name":"R\#(i)","fields":[{"name":"v","type":"long"}]}"# }
    let forward = try AvroSchema(parsing: "[" + (0..<10_000).map(record).joined(separator: ",") + "]")
    let reversed = try AvroSchema(parsing: "[" + (0..<10_000).reversed().map(record).joined(separator: ",") + "]")
    var samples: [Double] = []
    for _ in 0..<runs {
        let start = DispatchTime.now().uptimeNanoseconds
        let ok = try CompatibilityLevel.full.check(reversed, against: [forward], using: AvroCompatibilityChecker()).isCompatible
        samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        precondition(ok)
    }
    print(String(format: "FULL check of a reversed 10,000-record union: median %.1f ms, runs %@", samples.sorted()[samples.count / 2],
                 samples.map { String(format: "%.1f", $0) }.joined(separator: " ")))
    exit(0)
}
if only == "pair" {
    for _ in 0..<iterations { blackHole(try? reader.incompatibilities(readingDataWrittenWith: writer).isEmpty) }
    exit(0)
}
if only == "transitive" {
    for _ in 0..<iterations { blackHole(try? CompatibilityLevel.backwardTransitive.check(newest, against: previous, using: AvroCompatibilityChecker()).isCompatible) }
    exit(0)
}
print("CompatBench: OrderPlaced, \(runs) runs")
let canonPair = measure("Canon reader/writer check", iterations: iterations) {
    blackHole(try? reader.incompatibilities(readingDataWrittenWith: writer).isEmpty)
}
let canonTransitive = measure("Canon BACKWARD_TRANSITIVE, 100 versions", iterations: max(1, iterations / 100)) {
    blackHole(try? CompatibilityLevel.backwardTransitive.check(newest, against: previous, using: AvroCompatibilityChecker()).isCompatible)
}
print(String(format: "Canon checks per second (pair): %.0f", 1_000_000 / canonPair))

// The Python peer, in the same run.
let python = ProcessInfo.processInfo.environment["CANON_PYTHON"]
    ?? packageRoot.appendingPathComponent(".build/python-peers/bin/python3").path
let peer = packageRoot.appendingPathComponent("Tests/Interop/compat_peer.py").path
func runPeer(_ args: [String]) -> Double? {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: python)
    p.arguments = [peer] + args
    let out = Pipe()
    p.standardOutput = out
    guard (try? p.run()) != nil else { return nil }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0, let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
    return json["us_per_check"] as? Double
}
if let pyPair = runPeer(["bench", "--reader", dir.appendingPathComponent("reader.avsc").path, "--writer", dir.appendingPathComponent("writer.avsc").path, "--iterations", "2000"]),
    let pyTransitive = runPeer(["bench-transitive", "--new", dir.appendingPathComponent("new.avsc").path, "--previous-dir", previousDir.path, "--iterations", "20"]) {
    print(String(format: "%-44@ median %9.2f µs/check", "Python avro checker, pair" as NSString, pyPair))
    print(String(format: "%-44@ median %9.2f µs/check", "Python avro checker, transitive 100" as NSString, pyTransitive))
    print(String(format: "ratio pair: Python / Canon = %.0fx", pyPair / canonPair))
    print(String(format: "ratio transitive: Python / Canon = %.0fx", pyTransitive / canonTransitive))
} else {
    print("Python peer not run: \(python) \(peer) (run ../scripts/test once to prepare it)")
}
