// The log engine on a real disk, each figure beside a same-run baseline:
//  1. policy `never`, 100 B records in batches of 100, one producer awaiting each append; baseline: a
//     naive loop that builds the same batches (varints, CRC-32C) and `pwrite`s them, no engine;
//  2. group commit, 1 topic, 4 partitions, 16 producers each appending batches of 10 x 100 B to its
//     partition and awaiting the ack: records/s, records per fdatasync, p50/p99 ack latency; baseline:
//     the naive loop with one fdatasync per batch (what an engine without group commit does);
//  3. group commit, 1 KiB records, 4 partitions, 16 producers x batches of 100: MB/s beside the naive
//     loop doing the same writes with the same fdatasync cadence (the limit for that durability), and
//     beside `dd bs=1M conv=fdatasync` on a clean page cache (the disk's bandwidth);
//  4. reopen after an unclean stop (no close, no marker) with 1 GiB of log, warm page cache; and the same
//     without recovery checkpoints (everything rescanned).
//
// Usage (from Benchmarks/): swift build -c release && .build/release/LogBench [DIR] [SECONDS] [RUNS]
// DIR defaults to a fresh folder under ./.build (on the project's disk, not a tmpfs). Every run removes
// its files; run as root, the page cache is dropped between runs (`/proc/sys/vm/drop_caches`) so that no
// run pays for the dirty pages of the one before.
import CanonLog
import Foundation

let arguments = CommandLine.arguments
let benchmarkRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let root = arguments.count > 1 && !arguments[1].isEmpty ? arguments[1] : benchmarkRoot.appendingPathComponent(".build/log-bench-\(getpid())").path
let seconds = arguments.count > 2 ? Double(arguments[2]) ?? 3 : 3
let runs = arguments.count > 3 ? Int(arguments[3]) ?? 3 : 3
let only = ProcessInfo.processInfo.environment["CANON_BENCH_ONLY"]
try? FileManager.default.removeItem(atPath: root)
try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: root) }

/// Counts fdatasyncs of the real file system.
final class CountingFileSystem: LogFileSystem {
    let base = PosixFileSystem()
    let syncs = Counter()
    func createDirectory(_ path: String) throws(LogError) { try base.createDirectory(path) }
    func contentsOfDirectory(_ path: String) throws(LogError) -> [String] { try base.contentsOfDirectory(path) }
    func fileExists(_ path: String) -> Bool { base.fileExists(path) }
    func open(_ path: String, create: Bool) throws(LogError) -> LogFileHandle { try base.open(path, create: create) }
    func close(_ handle: LogFileHandle) { base.close(handle) }
    func size(_ handle: LogFileHandle) throws(LogError) -> Int { try base.size(handle) }
    func read(_ handle: LogFileHandle, at offset: Int, count: Int) throws(LogError) -> [UInt8] { try base.read(handle, at: offset, count: count) }
    func write(_ handle: LogFileHandle, _ bytes: [UInt8], at offset: Int) throws(LogError) { try base.write(handle, bytes, at: offset) }
    func truncate(_ handle: LogFileHandle, to size: Int) throws(LogError) { try base.truncate(handle, to: size) }
    func preallocate(_ handle: LogFileHandle, to size: Int) throws(LogError) { try base.preallocate(handle, to: size) }
    func sync(_ handle: LogFileHandle) throws(LogError) {
        syncs.add(1)
        try base.sync(handle)
    }
    func syncDirectory(_ path: String) throws(LogError) { try base.syncDirectory(path) }
    func remove(_ path: String) throws(LogError) { try base.remove(path) }
    func removeDirectory(_ path: String) throws(LogError) { try base.removeDirectory(path) }
    func rename(_ from: String, to: String) throws(LogError) { try base.rename(from, to: to) }
    func lockExclusively(_ path: String) throws(LogError) -> LogFileHandle { try base.lockExclusively(path) }
}

// @unchecked Sendable: `value` is only touched with `lock` held.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func add(_ n: Int) { lock.withLock { value += n } }
    var count: Int { lock.withLock { value } }
}

// @unchecked Sendable: appended to only with `lock` held.
final class Latencies: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [UInt64] = []
    func add(_ v: [UInt64]) { lock.withLock { values += v } }
    func percentile(_ p: Double) -> Double {
        lock.withLock {
            let sorted = values.sorted()
            return sorted.isEmpty ? 0 : Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1000
        }
    }
}

func nanos() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

func records(_ count: Int, size: Int, seed: Int) -> [LogRecord] {
    (0..<count).map { i in
        LogRecord(key: Array("key-\(seed)-\(i % 100)".utf8), value: (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i &+ seed) },
                  timestamp: 1_764_000_000_000 + Int64(i))
    }
}

func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

func fresh(_ name: String) -> String {
    let path = "\(root)/\(name)-\(UUID().uuidString.prefix(8))"
    try? FileManager.default.removeItem(atPath: path)
    return path
}

/// Removes a run's files and, when allowed (root), drops the page cache, so that the next run starts on
/// a clean cache and pays for no one else's dirty pages.
func cleanUp(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
    sync()
    if let drop = FileHandle(forWritingAtPath: "/proc/sys/vm/drop_caches") {
        drop.write(Data("3\n".utf8))
        try? drop.close()
    }
}

/// The naive loop: encode batches of `batchSize` records and pwrite them one after another, round robin
/// over `partitions` files; with `syncEvery` > 0, fdatasync a file after every `syncEvery` batches written
/// to it. Records/s over `seconds`.
func naiveLoop(recordSize: Int, batchSize: Int, partitions: Int = 1, syncEvery: Int) throws -> (
    recordsPerSecond: Double, bytesPerSecond: Double, p50: Double, p99: Double
) {
    let path = fresh("naive")
    defer { cleanUp(path) }
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    let fds = (0..<partitions).map { open(path + "/\($0).log", O_CREAT | O_WRONLY | O_TRUNC, 0o644) }
    precondition(fds.allSatisfy { $0 >= 0 })
    defer { for fd in fds { close(fd) } }
    let template = records(batchSize, size: recordSize, seed: 0)
    var offsets = [Int64](repeating: 0, count: partitions), positions = [Int](repeating: 0, count: partitions)
    var unsynced = [Int](repeating: 0, count: partitions)
    var count = 0, bytes = 0, next = 0
    var latencies: [UInt64] = []
    let start = nanos(), end = start + UInt64(seconds * 1e9)
    while nanos() < end {
        for _ in 0..<16 {
            let p = next
            next = (next + 1) % partitions
            let t0 = nanos()
            let encoded = RecordBatch(baseOffset: offsets[p], records: template).encoded()
            let n = encoded.withUnsafeBytes { pwrite(fds[p], $0.baseAddress, $0.count, off_t(positions[p])) }
            precondition(n == encoded.count)
            unsynced[p] += 1
            if syncEvery > 0 && unsynced[p] >= syncEvery {
                precondition(fdatasync(fds[p]) == 0)
                unsynced[p] = 0
            }
            latencies.append(nanos() - t0)
            positions[p] += encoded.count
            offsets[p] += Int64(batchSize)
            count += batchSize
            bytes += encoded.count
        }
    }
    let elapsed = Double(nanos() - start) / 1e9
    latencies.sort()
    return (Double(count) / elapsed, Double(bytes) / elapsed,
            Double(latencies[latencies.count / 2]) / 1000, Double(latencies[min(latencies.count - 1, latencies.count * 99 / 100)]) / 1000)
}

struct EngineResult {
    var recordsPerSecond: Double
    var bytesPerSecond: Double
    var recordsPerSync: Double
    var p50: Double
    var p99: Double
}

/// `producers` tasks append batches of `batchSize` records of `recordSize` bytes for `seconds`, each to
/// partition `producer % partitions`, awaiting every ack.
func engineRun(policy: String, partitions: Int, producers: Int, batchSize: Int, recordSize: Int) async throws -> EngineResult {
    let fs = CountingFileSystem()
    let path = fresh("engine")
    defer { cleanUp(path) }
    let engine = try LogEngine(path: path, fileSystem: fs)
    try await engine.createTopic("bench", partitions: partitions, configuration: try TopicConfiguration(["canon.flush.policy": policy]))
    let latencies = Latencies()
    let appended = Counter()
    let payload = Counter()
    // Warm up (and write each partition's first checkpoint) outside the measurement.
    for p in 0..<partitions { _ = try await engine.append(topic: "bench", partition: p, records: records(batchSize, size: recordSize, seed: p)) }
    let syncsBefore = fs.syncs.count
    let start = nanos(), end = start + UInt64(seconds * 1e9)
    try await withThrowingTaskGroup(of: Void.self) { group in
        for producer in 0..<producers {
            group.addTask {
                let batch = records(batchSize, size: recordSize, seed: producer)
                let bytes = batch.reduce(0) { $0 + ($1.value?.count ?? 0) + ($1.key?.count ?? 0) }
                var mine: [UInt64] = []
                while nanos() < end {
                    let t0 = nanos()
                    _ = try await engine.append(topic: "bench", partition: producer % partitions, records: batch)
                    mine.append(nanos() - t0)
                    appended.add(batchSize)
                    payload.add(bytes)
                }
                latencies.add(mine)
            }
        }
        try await group.waitForAll()
    }
    let elapsed = Double(nanos() - start) / 1e9
    let syncs = fs.syncs.count - syncsBefore
    await engine.shutdown()
    return EngineResult(recordsPerSecond: Double(appended.count) / elapsed, bytesPerSecond: Double(payload.count) / elapsed,
                        recordsPerSync: syncs == 0 ? .infinity : Double(appended.count) / Double(syncs),
                        p50: latencies.percentile(0.5), p99: latencies.percentile(0.99))
}

/// `dd if=/dev/zero bs=1M count=N conv=fdatasync` on the same disk, on a clean page cache: bytes/s.
func dd(megabytes: Int) throws -> Double {
    let target = fresh("dd")
    defer { cleanUp(target) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/dd")
    process.arguments = ["if=/dev/zero", "of=\(target)", "bs=1M", "count=\(megabytes)", "conv=fdatasync"]
    process.standardError = FileHandle.nullDevice
    process.standardOutput = FileHandle.nullDevice
    let start = nanos()
    try process.run()
    process.waitUntilExit()
    let elapsed = Double(nanos() - start) / 1e9
    return Double(megabytes << 20) / elapsed
}

func mb(_ bytesPerSecond: Double) -> String { String(format: "%.0f MB/s", bytesPerSecond / 1e6) }
func k(_ recordsPerSecond: Double) -> String { String(format: "%.0f k records/s", recordsPerSecond / 1e3) }

print("LogBench: \(root), \(seconds) s per run, \(runs) runs, medians")

if only == nil || only == "never" {
    var one: [Double] = [], four: [Double] = [], naive: [Double] = [], fourBytes: [Double] = []
    for _ in 0..<runs {
        one.append(try await engineRun(policy: "never", partitions: 1, producers: 1, batchSize: 100, recordSize: 100).recordsPerSecond)
        let r = try await engineRun(policy: "never", partitions: 1, producers: 4, batchSize: 100, recordSize: 100)
        four.append(r.recordsPerSecond)
        fourBytes.append(r.bytesPerSecond)
        naive.append(try naiveLoop(recordSize: 100, batchSize: 100, syncEvery: 0).recordsPerSecond)
    }
    print("1. never, 100 B x 100:  engine, 4 producers \(k(median(four))) (\(mb(median(fourBytes))) payload); 1 producer awaiting each append \(k(median(one)))   naive write loop \(k(median(naive)))   ratios \(String(format: "%.2f", median(four) / median(naive))) / \(String(format: "%.2f", median(one) / median(naive)))")
}

if only == nil || only == "group" {
    var rates: [Double] = [], perSync: [Double] = [], p50: [Double] = [], p99: [Double] = [], naive: [Double] = [], naiveP50: [Double] = []
    for _ in 0..<runs {
        let r = try await engineRun(policy: "group-commit", partitions: 4, producers: 16, batchSize: 10, recordSize: 100)
        rates.append(r.recordsPerSecond)
        perSync.append(r.recordsPerSync)
        p50.append(r.p50)
        p99.append(r.p99)
        let n = try naiveLoop(recordSize: 100, batchSize: 10, syncEvery: 1)
        naive.append(n.recordsPerSecond)
        naiveP50.append(n.p50)
    }
    print("2. group commit, 4 partitions, 16 producers x 10 x 100 B:  engine \(k(median(rates))), \(String(format: "%.1f", median(perSync))) records/fdatasync (160 in flight, 40 per partition), ack p50 \(String(format: "%.0f", median(p50))) µs p99 \(String(format: "%.0f", median(p99))) µs   naive write+fdatasync loop \(k(median(naive))) (p50 \(String(format: "%.0f", median(naiveP50))) µs)   ratio \(String(format: "%.1f", median(rates) / median(naive)))")
}

if only == nil || only == "bandwidth" {
    var rates: [Double] = [], dds: [Double] = [], p99: [Double] = [], naive: [Double] = [], cadence: [Double] = []
    for _ in 0..<runs {
        let r = try await engineRun(policy: "group-commit", partitions: 4, producers: 16, batchSize: 100, recordSize: 1024)
        rates.append(r.bytesPerSecond)
        p99.append(r.p99)
        // The same writes with the engine's fdatasync cadence: one per partition every k batches.
        let every = max(1, Int((r.recordsPerSync / 100).rounded()))
        cadence.append(Double(every))
        naive.append(try naiveLoop(recordSize: 1024, batchSize: 100, partitions: 4, syncEvery: every).bytesPerSecond)
        dds.append(try dd(megabytes: 1024))
    }
    func runsOf(_ xs: [Double]) -> String { xs.map { String(format: "%.0f", $0 / 1e6) }.joined(separator: ", ") }
    print("3. group commit, 4 partitions, 16 producers x 100 x 1 KiB:  engine \(mb(median(rates))) (runs \(runsOf(rates)); ack p99 \(String(format: "%.1f", median(p99) / 1000)) ms; \(String(format: "%.0f", median(cadence))) batches per fdatasync)   naive loop, same writes and fdatasync cadence \(mb(median(naive))) (runs \(runsOf(naive)))   dd bs=1M conv=fdatasync, clean cache \(mb(median(dds))) (runs \(runsOf(dds)))   ratios \(String(format: "%.2f", median(rates) / median(naive))) / \(String(format: "%.2f", median(rates) / median(dds)))")
}

if only == nil || only == "reopen" {
    // 1 GiB in one partition, appended without a clean close.
    let path = fresh("reopen")
    do {
        let dir = try LogDirectory(path: path, fileSystem: PosixFileSystem())
        try dir.createTopic("big", partitions: 1, configuration: try TopicConfiguration(["canon.flush.policy": "never"]))
        let batch = records(100, size: 1000, seed: 1)
        var written = 0
        while written < 1 << 30 {
            _ = try dir.append(topic: "big", records: batch)
            written += 100 * 1000
        }
        _ = dir.commit([LogDirectory.PartitionKey(topic: "big", partition: 0)])
        // No close(): no clean-shutdown marker, the checkpoint is wherever the last one was written.
    }
    func reopen() throws -> Double {
        let start = nanos()
        let dir = try LogDirectory(path: path, fileSystem: PosixFileSystem())
        let elapsed = Double(nanos() - start) / 1e6
        let next = try dir.partitions(of: "big")[0].nextOffset
        precondition(next > 1_000_000)
        return elapsed
    }
    _ = try reopen()  // warm the page cache
    var withCheckpoint: [Double] = [], fullScan: [Double] = []
    for _ in 0..<runs { withCheckpoint.append(try reopen()) }
    try FileManager.default.removeItem(atPath: "\(path)/big-0/recovery-checkpoint")
    for _ in 0..<runs { fullScan.append(try reopen()) }
    cleanUp(path)
    print("4. reopen after an unclean stop, 1 GiB:  \(String(format: "%.0f", median(withCheckpoint))) ms from the recovery checkpoint   \(String(format: "%.0f", median(fullScan))) ms scanning everything (no checkpoint)")
}
