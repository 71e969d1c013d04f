// The registry server under wrk (loopback), each route beside a trivial route of the same server as
// the ceiling, and registration latency with a BACKWARD_TRANSITIVE check against 100 versions.
//
// Usage (from Benchmarks/): swift build -c release --product RegistryBench && .build/release/RegistryBench [SECONDS] [RUNS]
// Needs wrk (Debian package `wrk`).
import CanonLog
import CanonRegistry
import CanonServer
import Foundation
import Hummingbird

let arguments = CommandLine.arguments
let seconds = arguments.count > 1 ? Int(arguments[1]) ?? 5 : 5
let runs = arguments.count > 2 ? Int(arguments[2]) ?? 3 : 3
let benchmarkRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let root = benchmarkRoot.appendingPathComponent(".build/registry-bench-\(getpid())").path
try? FileManager.default.removeItem(atPath: root)
defer { try? FileManager.default.removeItem(atPath: root) }

func version(_ n: Int) -> String {
    let extra = (0..<n).map { #",{"name":"extra\#($0)","type":["null","string"],"default":null}"# }.joined()
    return #"{"type":"record","name":"OrderPlaced","namespace":"com.example","fields":[{"name":"id","type":"long"},{"name":"item","type":"string"}\#(extra)]}"#
}

func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

// 1. Registration latency: 100 versions, then BACKWARD_TRANSITIVE registrations against all of them.
do {
    let engine = try LogEngine(path: root + "/latency", fileSystem: PosixFileSystem())
    let registry = try await Registry(store: try await LogRegistryStore(log: engine))
    try await registry.setCompatibility(.none, subject: "orders-value")
    for n in 0..<100 { _ = try await registry.register(subject: "orders-value", schema: version(n)) }
    try await registry.setCompatibility(.backwardTransitive, subject: "orders-value")
    var samples: [Double] = []
    for n in 100..<160 {
        let start = DispatchTime.now().uptimeNanoseconds
        let registered = try await registry.register(subject: "orders-value", schema: version(n))
        samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        precondition(registered.version == n + 1)
    }
    samples.sort()
    print(String(format: "registration, BACKWARD_TRANSITIVE against %d+ live versions, group commit: p50 %.2f ms, p99 %.2f ms (%d registrations)",
                 100, samples[samples.count / 2], samples[samples.count * 99 / 100], samples.count))
    await engine.shutdown()
}

// 2. wrk against the server.
let port = Int.random(in: 30_000..<40_000)
let engine = try LogEngine(path: root + "/server", fileSystem: PosixFileSystem())
let registry = try await Registry(store: try await LogRegistryStore(log: engine))
let registered = try await registry.register(subject: "orders-value", schema: version(3))
let app = RegistryServer.application(registry: registry, configuration: .init(port: port))
let server = Task { try await app.runService() }
defer { server.cancel() }
try await Task.sleep(for: .milliseconds(500))

let lookupBody = "{\"schema\":\(String(decoding: try JSONSerialization.data(withJSONObject: [version(3)]), as: UTF8.self).dropFirst().dropLast())}"
let script = root + "/lookup.lua"
try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
try """
wrk.method = "POST"
wrk.body = [==[\(lookupBody)]==]
wrk.headers["Content-Type"] = "application/vnd.schemaregistry.v1+json"
""".write(toFile: script, atomically: true, encoding: .utf8)

/// wrk's requests/s and p99 (ms) for a URL.
func wrk(_ path: String, script: String? = nil) throws -> (rate: Double, p99: Double) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/wrk")
    process.arguments = ["-t1", "-c32", "-d\(seconds)s", "--latency"] + (script.map { ["-s", $0] } ?? []) + ["http://127.0.0.1:\(port)\(path)"]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard let rateLine = output.split(separator: "\n").first(where: { $0.hasPrefix("Requests/sec:") }),
        let rate = Double(rateLine.split(separator: " ").last ?? ""),
        let p99Line = output.split(separator: "\n").first(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("99%") }) else {
        fatalError("unexpected wrk output:\n\(output)")
    }
    let text = p99Line.split(separator: " ").last.map(String.init) ?? ""
    let value = Double(text.dropLast(text.hasSuffix("ms") ? 2 : (text.hasSuffix("us") ? 2 : 1))) ?? 0
    let p99 = text.hasSuffix("ms") ? value : (text.hasSuffix("us") ? value / 1000 : value * 1000)
    return (rate, p99)
}

_ = try wrk("/")  // warm up
var ceiling: [Double] = [], byID: [Double] = [], lookup: [Double] = []
var ceilingP99: [Double] = [], byIDP99: [Double] = [], lookupP99: [Double] = []
for _ in 0..<runs {
    let c = try wrk("/"), g = try wrk("/schemas/ids/\(registered.id)"), l = try wrk("/subjects/orders-value", script: script)
    ceiling.append(c.rate); byID.append(g.rate); lookup.append(l.rate)
    ceilingP99.append(c.p99); byIDP99.append(g.p99); lookupP99.append(l.p99)
}
print(String(format: "ceiling GET /: %.0f req/s (p99 %.2f ms)", median(ceiling), median(ceilingP99)))
print(String(format: "GET /schemas/ids/{id}: %.0f req/s (p99 %.2f ms), %.0f%% of the ceiling", median(byID), median(byIDP99), 100 * median(byID) / median(ceiling)))
print(String(format: "POST /subjects/{s} (lookup): %.0f req/s (p99 %.2f ms), %.0f%% of the ceiling", median(lookup), median(lookupP99), 100 * median(lookup) / median(ceiling)))
await engine.shutdown()
exit(0)
