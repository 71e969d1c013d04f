import CanonLog
import Foundation
import Hummingbird
import Metrics
import Prometheus

/// The server's metrics, in their own Prometheus registry (no process-wide bootstrap), served at
/// `GET /metrics`: requests and latencies per route, registrations, compatibility rejections, the
/// registry store's append latency and the log's fdatasync latency.
public final class ServerMetrics: Sendable {
    public let prometheus = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory

    public init() {
        var factory = PrometheusMetricsFactory(registry: prometheus)
        // From 5 µs: validating a partition's share of a batch takes tens of microseconds.
        factory.defaultDurationHistogramBuckets = [
            .microseconds(5), .microseconds(10), .microseconds(25), .microseconds(50), .microseconds(100), .microseconds(250),
            .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1),
        ]
        self.factory = factory
        registrations = Metrics.Counter(label: "canon_registry_registrations_total", factory: factory)
        rejections = Metrics.Counter(label: "canon_registry_compatibility_rejections_total", factory: factory)
        storeAppend = Metrics.Timer(label: "canon_registry_store_append_seconds", factory: factory)
        fdatasync = Metrics.Timer(label: "canon_log_fdatasync_seconds", factory: factory)
        validation = Metrics.Timer(label: "canon_validation_seconds", factory: factory)
    }

    /// How long validating one batch took.
    public let validation: Metrics.Timer

    func accepted(topic: String, count: Int) {
        Metrics.Counter(label: "canon_records_accepted_total", dimensions: [("topic", topic)], factory: factory).increment(by: count)
    }

    func refused(topic: String, reason: Int) {
        Metrics.Counter(label: "canon_records_refused_total", dimensions: [("topic", topic), ("reason", String(reason))], factory: factory)
            .increment()
    }

    let registrations: Metrics.Counter
    let rejections: Metrics.Counter
    /// How long the registry's store took to make an event durable.
    public let storeAppend: Metrics.Timer
    /// How long each fdatasync of the log took.
    public let fdatasync: Metrics.Timer

    func request(route: String, method: String, status: Int, nanoseconds: Int64) {
        Metrics.Counter(
            label: "canon_http_requests_total", dimensions: [("route", route), ("method", method), ("status", String(status))],
            factory: factory
        ).increment()
        Metrics.Timer(label: "canon_http_request_duration_seconds", dimensions: [("route", route), ("method", method)], factory: factory)
            .recordNanoseconds(nanoseconds)
    }

    /// Counts a Kafka request by API (`canon_kafka_requests_total`) and each error code its answer
    /// carried other than 0 (`canon_kafka_errors_total`).
    public func kafkaRequest(api: String, errorCodes: [Int16]) {
        Metrics.Counter(label: "canon_kafka_requests_total", dimensions: [("api", api)], factory: factory).increment()
        for code in errorCodes where code != 0 {
            Metrics.Counter(label: "canon_kafka_errors_total", dimensions: [("api", api), ("code", String(code))], factory: factory)
                .increment()
        }
    }

    /// The Prometheus text exposition.
    public var text: String { prometheus.emitToString() }
}

/// Counts and times every request by its route pattern.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        var status = 500
        defer {
            let route = context.endpointPath ?? "unmatched"
            metrics.request(
                route: route, method: request.method.rawValue, status: status,
                nanoseconds: Int64(DispatchTime.now().uptimeNanoseconds - start))
        }
        let response = try await next(request, context)
        status = Int(response.status.code)
        return response
    }
}

/// A ``LogFileSystem`` that times every `sync` (fdatasync) of the one it wraps.
public struct TimedFileSystem: LogFileSystem {
    let base: any LogFileSystem
    let onSync: @Sendable (Int64) -> Void

    /// `onSync` gets each sync's duration in nanoseconds.
    public init(_ base: any LogFileSystem, onSync: @escaping @Sendable (Int64) -> Void) {
        self.base = base
        self.onSync = onSync
    }

    public func createDirectory(_ path: String) throws(LogError) { try base.createDirectory(path) }
    public func contentsOfDirectory(_ path: String) throws(LogError) -> [String] { try base.contentsOfDirectory(path) }
    public func fileExists(_ path: String) -> Bool { base.fileExists(path) }
    public func open(_ path: String, create: Bool) throws(LogError) -> LogFileHandle { try base.open(path, create: create) }
    public func close(_ handle: LogFileHandle) { base.close(handle) }
    public func size(_ handle: LogFileHandle) throws(LogError) -> Int { try base.size(handle) }
    public func read(_ handle: LogFileHandle, at offset: Int, count: Int) throws(LogError) -> [UInt8] {
        try base.read(handle, at: offset, count: count)
    }
    public func write(_ handle: LogFileHandle, _ bytes: [UInt8], at offset: Int) throws(LogError) {
        try base.write(handle, bytes, at: offset)
    }
    public func truncate(_ handle: LogFileHandle, to size: Int) throws(LogError) { try base.truncate(handle, to: size) }
    public func preallocate(_ handle: LogFileHandle, to size: Int) throws(LogError) { try base.preallocate(handle, to: size) }
    public func sync(_ handle: LogFileHandle) throws(LogError) {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { onSync(Int64(DispatchTime.now().uptimeNanoseconds - start)) }
        try base.sync(handle)
    }
    public func syncDirectory(_ path: String) throws(LogError) { try base.syncDirectory(path) }
    public func remove(_ path: String) throws(LogError) { try base.remove(path) }
    public func removeDirectory(_ path: String) throws(LogError) { try base.removeDirectory(path) }
    public func rename(_ from: String, to: String) throws(LogError) { try base.rename(from, to: to) }
    public func lockExclusively(_ path: String) throws(LogError) -> LogFileHandle { try base.lockExclusively(path) }
}

/// A ``RecordValidator`` that times the one it wraps (for `canon_validation_seconds`).
public struct TimedValidator: RecordValidator {
    let base: any RecordValidator
    let metrics: ServerMetrics

    public init(_ base: any RecordValidator, metrics: ServerMetrics) {
        self.base = base
        self.metrics = metrics
    }

    public func validate(topic: String, configuration: TopicConfiguration, partition: Int, records: [LogRecord]) -> [RecordRejection] {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { metrics.validation.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - start)) }
        return base.validate(topic: topic, configuration: configuration, partition: partition, records: records)
    }

    public func checkSettings(_ settings: [String: String]) throws(LogError) { try base.checkSettings(settings) }
}
