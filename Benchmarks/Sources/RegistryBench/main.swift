// The registry server under wrk (loopback), each route beside a trivial route of the same server as the
// ceiling, and registration latency over HTTP, all with the reference event (Schemas/bench/OrderPlaced.avsc):
//  - GET /schemas/ids/{id}: one ID, answered from the response cache; and a cache-miss mix: 1,000 IDs
//    at random with the cache off (`responseCacheBytes: 0`), so every request reads the registry;
//  - POST /subjects/{s} (a lookup, what a serializer sends for the first record of a schema): one body,
//    cached; and the miss mix: 1,000 subjects, each with its own schema, at random, cache off;
//  - registration latency: 100 versions of the reference event (each adds an optional field), then 60
//    more under BACKWARD_TRANSITIVE, each checked against every live version and made durable (group
//    commit) before the answer: over HTTP with RegistryClient (what the CLI and the serializers use), and
//    beside it the same registrations on the Registry actor directly (no HTTP).
//
// With CANON_BENCH_ONLY=registration only the registration latencies run (and what the store append and
// the check take of them); with CANON_BENCH_SUBJECTS=N only the latency of registering new subjects on an
// empty registry and after N subjects.
//
// Usage (from Benchmarks/): swift build -c release --product RegistryBench && .build/release/RegistryBench [SECONDS] [RUNS]
// Needs wrk (Debian package `wrk`). Everything it writes is under .build/registry-bench-PID, removed at the end.
import CanonCore
import CanonLog
import CanonRegistry
import CanonRegistryClient
import CanonServer
import Foundation
import Hummingbird
import Logging

let arguments = CommandLine.arguments
let seconds = arguments.count > 1 ? Int(arguments[1]) ?? 5 : 5
let runs = arguments.count > 2 ? Int(arguments[2]) ?? 3 : 3
let benchmarkRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let root = benchmarkRoot.appendingPathComponent(".build/registry-bench-\(getpid())").path
try? FileManager.default.removeItem(atPath: root)
try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)

let reference = try JSONReader.parse(
    String(contentsOf: benchmarkRoot.deletingLastPathComponent().appendingPathComponent("Schemas/bench/OrderPlaced.avsc"), encoding: .utf8))

/// The reference event with `extra` more optional fields, in namespace `namespace` (distinct content).
func referenceEvent(extra: Int, namespace: String = "com.example.orders") -> String {
    guard case .object(var object) = reference, case .array(var fields)? = object["fields"] else { fatalError("not a record") }
    for n in 0..<extra {
        fields.append(.object(["name": .string("extra\(n)"), "type": .array([.string("null"), .string("string")]), "default": .null]))
    }
    object["fields"] = .array(fields)
    object["namespace"] = .string(namespace)
    return JSONValue.object(object).jsonText
}

func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
/// The servers log only what is critical (cancelling them at the end is not).
let quiet: Logger = {
    var logger = Logger(label: "registry-bench")
    logger.logLevel = .critical
    return logger
}()
func spread(_ xs: [Double]) -> String { String(format: "%.0f-%.0f", xs.min() ?? 0, xs.max() ?? 0) }
func percentile(_ xs: [Double], _ p: Double) -> Double { xs.sorted()[min(xs.count - 1, Int(Double(xs.count) * p))] }

// 0. With CANON_BENCH_SUBJECTS=N, only this: registration latency of new subjects over HTTP on an empty
//    registry and after N subjects were registered (each its own variant of the reference event).
if let n = ProcessInfo.processInfo.environment["CANON_BENCH_SUBJECTS"].flatMap(Int.init) {
    let engine = try LogEngine(path: root + "/subjects", fileSystem: PosixFileSystem())
    let registry = try await Registry(store: try await LogRegistryStore(log: engine))
    let port = Int.random(in: 30_000..<40_000)
    let server = Task { try await RegistryServer.application(registry: registry, configuration: .init(port: port), logger: quiet).runService() }
    try await Task.sleep(for: .milliseconds(300))
    let client = RegistryClient(url: URL(string: "http://127.0.0.1:\(port)")!)
    func sample(_ label: String, from start: Int) async throws -> Double {
        var samples: [Double] = []
        for i in start..<start + 300 {
            let schema = referenceEvent(extra: 0, namespace: "com.example.s\(i)")
            let begin = DispatchTime.now().uptimeNanoseconds
            _ = try await client.register(subject: "subject-\(i)-value", schema: schema)
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e6)
        }
        print(String(format: "  %@: p50 %.3f ms, p99 %.3f ms", label, percentile(samples, 0.5), percentile(samples, 0.99)))
        return percentile(samples, 0.5)
    }
    print("registration of a new subject over HTTP (RegistryClient), group commit:")
    let empty = try await sample("empty registry", from: 0)
    let fill = DispatchTime.now().uptimeNanoseconds
    for i in 300..<n {
        _ = try await registry.register(subject: "subject-\(i)-value", schema: referenceEvent(extra: 0, namespace: "com.example.s\(i)"))
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - fill) / 1e9
    print(String(format: "  (filled to %d subjects in %.0f s, %.0f registrations/s on the actor)", n, seconds, Double(n - 300) / seconds))
    let full = try await sample("at \(n) subjects", from: n)
    print(String(format: "  ratio %.2f", full / empty))
    server.cancel()
    await engine.shutdown()
    try? FileManager.default.removeItem(atPath: root)
    exit(0)
}

// 1. Registration latency, over HTTP and direct, on fresh registries.
/// Per registration on the actor: how long the store append (durable) and the compatibility check took (ms).
final class Samples: @unchecked Sendable {  // `values` only under `lock`
    private let lock = NSLock()
    private var values: [Double] = []
    func add(_ x: Double) { lock.withLock { values.append(x) } }
    var all: [Double] { lock.withLock { values } }
}
let appendTimes = Samples(), checkTimes = Samples()
func registrationLatencies(overHTTP: Bool) async throws -> [Double] {
    let engine = try LogEngine(path: root + "/latency-\(overHTTP)", fileSystem: PosixFileSystem())
    var configuration = Registry.Configuration()
    if !overHTTP {
        configuration.onStoreAppend = { ns in appendTimes.add(Double(ns) / 1e6) }
        configuration.onCompatibilityCheck = { ns in if let ns { checkTimes.add(Double(ns) / 1e6) } }
    }
    let registry = try await Registry(store: try await LogRegistryStore(log: engine), configuration: configuration)
    let port = Int.random(in: 30_000..<40_000)
    let app = RegistryServer.application(registry: registry, configuration: .init(port: port), logger: quiet)
    let server = Task { try await app.runService() }
    try await Task.sleep(for: .milliseconds(300))
    let client = RegistryClient(url: URL(string: "http://127.0.0.1:\(port)")!)
    func register(_ n: Int) async throws -> Int? {
        if overHTTP { return try await client.register(subject: "orders-value", schema: referenceEvent(extra: n)).version }
        return try await registry.register(subject: "orders-value", schema: referenceEvent(extra: n)).version
    }
    try await registry.setCompatibility(.none, subject: "orders-value")
    for n in 0..<100 { _ = try await register(n) }
    try await registry.setCompatibility(.backwardTransitive, subject: "orders-value")
    var samples: [Double] = []
    for n in 100..<160 {
        let start = DispatchTime.now().uptimeNanoseconds
        let version = try await register(n)
        samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        precondition(version == n + 1)
    }
    server.cancel()
    await engine.shutdown()
    return samples
}
var http: [Double] = [], direct: [Double] = []
for _ in 0..<runs {
    http += try await registrationLatencies(overHTTP: true)
    direct += try await registrationLatencies(overHTTP: false)
}
print(String(format: "registration of the reference event, BACKWARD_TRANSITIVE against 100+ live versions, group commit (%d registrations each):", http.count))
print(String(format: "  over HTTP (RegistryClient): p50 %.2f ms, p99 %.2f ms;  Registry actor directly: p50 %.2f ms, p99 %.2f ms",
             percentile(http, 0.5), percentile(http, 0.99), percentile(direct, 0.5), percentile(direct, 0.99)))
let appends = appendTimes.all.suffix(60 * runs).map { $0 }, checks = checkTimes.all.suffix(60 * runs).map { $0 }
print(String(format: "  of which (on the actor, p50): the store append (durable) %.2f ms, the compatibility check %.2f ms",
             percentile(appends, 0.5), percentile(checks, 0.5)))
if ProcessInfo.processInfo.environment["CANON_BENCH_ONLY"] == "registration" {
    try? FileManager.default.removeItem(atPath: root)
    exit(0)
}

// 2. wrk against the server: one registry, two applications (the response cache on, and off).
let mix = 1_000
let engine = try LogEngine(path: root + "/server", fileSystem: PosixFileSystem())
let registry = try await Registry(store: try await LogRegistryStore(log: engine))
try await registry.setCompatibility(.none, subject: nil)
var ids: [Int32] = []
for i in 0..<mix {
    ids.append(try await registry.register(subject: "orders-\(i)-value", schema: referenceEvent(extra: 0, namespace: "com.example.n\(i)")).id)
}
let cachedPort = Int.random(in: 30_000..<35_000), uncachedPort = Int.random(in: 35_000..<40_000)
let cached = Task { try await RegistryServer.application(registry: registry, configuration: .init(port: cachedPort), logger: quiet).runService() }
let uncached = Task {
    try await RegistryServer.application(registry: registry, configuration: .init(port: uncachedPort, responseCacheBytes: 0), logger: quiet)
        .runService()
}
try await Task.sleep(for: .milliseconds(500))

/// A Lua string literal that holds any text.
func lua(_ text: String) -> String { "[==[\(text)]==]" }
func body(_ schema: String) -> String { JSONValue.object(["schema": .string(schema)]).jsonText }
let contentType = #"{["Content-Type"] = "application/vnd.schemaregistry.v1+json"}"#
let oneLookup = root + "/lookup.lua", mixedLookups = root + "/lookups.lua", mixedIDs = root + "/ids.lua"
try """
wrk.method = "POST"
wrk.body = \(lua(body(referenceEvent(extra: 0, namespace: "com.example.n0"))))
wrk.headers["Content-Type"] = "application/vnd.schemaregistry.v1+json"
""".write(toFile: oneLookup, atomically: true, encoding: .utf8)
try """
local bodies = {
\((0..<mix).map { "  " + lua(body(referenceEvent(extra: 0, namespace: "com.example.n\($0)"))) + "," }.joined(separator: "\n"))
}
request = function()
  local i = math.random(#bodies)
  return wrk.format("POST", "/subjects/orders-" .. (i - 1) .. "-value", \(contentType), bodies[i])
end
""".write(toFile: mixedLookups, atomically: true, encoding: .utf8)
try """
local ids = { \(ids.map(String.init).joined(separator: ", ")) }
request = function()
  return wrk.format("GET", "/schemas/ids/" .. ids[math.random(#ids)])
end
""".write(toFile: mixedIDs, atomically: true, encoding: .utf8)

/// wrk's requests/s and p99 (ms) for a URL; fails on any non-2xx answer.
func wrk(_ port: Int, _ path: String, script: String? = nil) throws -> (rate: Double, p99: Double) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/wrk")
    process.arguments = ["-t1", "-c32", "-d\(seconds)s", "--latency"] + (script.map { ["-s", $0] } ?? []) + ["http://127.0.0.1:\(port)\(path)"]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard !output.contains("Non-2xx"), let rateLine = output.split(separator: "\n").first(where: { $0.hasPrefix("Requests/sec:") }),
        let rate = Double(rateLine.split(separator: " ").last ?? ""),
        let p99Line = output.split(separator: "\n").first(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("99%") }) else {
        fatalError("unexpected wrk output:\n\(output)")
    }
    let text = p99Line.split(separator: " ").last.map(String.init) ?? ""
    let value = Double(text.dropLast(text.hasSuffix("ms") ? 2 : (text.hasSuffix("us") ? 2 : 1))) ?? 0
    let p99 = text.hasSuffix("ms") ? value : (text.hasSuffix("us") ? value / 1000 : value * 1000)
    return (rate, p99)
}

_ = try wrk(cachedPort, "/")  // warm up
let cases: [(name: String, port: Int, path: String, script: String?)] = [
    ("ceiling GET /", cachedPort, "/", nil),
    ("GET /schemas/ids/{id}, one ID, cached", cachedPort, "/schemas/ids/\(ids[0])", nil),
    ("GET /schemas/ids/{id}, \(mix) IDs at random, cache off", uncachedPort, "/", mixedIDs),
    ("POST /subjects/{s} (lookup), one body, cached", cachedPort, "/subjects/orders-0-value", oneLookup),
    ("POST /subjects/{s} (lookup), \(mix) subjects and schemas at random, cache off", uncachedPort, "/", mixedLookups),
]
var rates = [[Double]](repeating: [], count: cases.count), p99s = [[Double]](repeating: [], count: cases.count)
for _ in 0..<runs {
    for (i, c) in cases.enumerated() {
        let r = try wrk(c.port, c.path, script: c.script)
        rates[i].append(r.rate)
        p99s[i].append(r.p99)
    }
}
for (i, c) in cases.enumerated() {
    print(String(format: "%@: %.0f req/s (runs %@), p99 %.2f ms, %.0f%% of the ceiling", c.name, median(rates[i]), spread(rates[i]),
                 median(p99s[i]), 100 * median(rates[i]) / median(rates[0])))
}
cached.cancel()
uncached.cancel()
await engine.shutdown()
try? FileManager.default.removeItem(atPath: root)
exit(0)
