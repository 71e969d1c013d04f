import CanonCore
import CanonLog
import CanonRegistry
import Foundation
import Hummingbird
import Logging

/// Settings of the HTTP server.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8081
    /// Larger request bodies are refused with 413.
    public var maximumBodyBytes = 1 << 20
    /// The response cache of hot reads (a schema by ID, lookups) holds keys and answers up to this many
    /// bytes, and starts over beyond it; 0 turns it off. 32 MiB by default.
    public var responseCacheBytes = 32 << 20
    /// Most bytes of records one read of a topic answers (`GET .../records`), counted as the JSON
    /// written (decoded with `format=avro-json`); past it the answer stops early, saying so, and a
    /// record that alone decodes larger is answered in a marker naming the limit. 16 MiB by default.
    public var maximumResponseBytes = 16 << 20
    /// The `Host` names requests may carry, lower-case without port; nil: any. `canon serve` bound to
    /// loopback sets its own names (against DNS rebinding).
    public var allowedHosts: Set<String>?
    /// Web origins (`https://ui.example.com`) whose pages may write, and read answers (CORS). Writes
    /// from other origins are refused.
    public var corsOrigins: Set<String> = []
    /// Seconds a connection may go without completing a request head, sending more of a body, or, kept
    /// alive, starting a new request, before it is closed (a client that sends nothing or half a header
    /// holds a descriptor only this long). nil: never. 30 by default.
    public var idleTimeoutSeconds: Int? = 30

    public init(
        host: String = "127.0.0.1", port: Int = 8081, maximumBodyBytes: Int = 1 << 20, responseCacheBytes: Int = 32 << 20,
        maximumResponseBytes: Int = 16 << 20
    ) {
        self.host = host
        self.port = port
        self.maximumBodyBytes = maximumBodyBytes
        self.responseCacheBytes = responseCacheBytes
        self.maximumResponseBytes = maximumResponseBytes
    }
}

/// Confluent Schema Registry 7.9's REST API over a ``Registry``: routes, request parsing, response and
/// error bodies. No authentication: bind to loopback or put a proxy in front.
public enum RegistryServer {
    /// Confluent's own content type: answers are in it unless the request's `Accept` asks for another of
    /// the registry's types (see `ContentNegotiation`).
    public static let contentType = "application/vnd.schemaregistry.v1+json"

    /// The application: the registry's routes on `configuration`'s address.
    /// `metrics` are served at `GET /metrics`; pass the ones the registry and the log report to.
    /// With `log` (the log the registry's store also uses), the topics and records API is served too.
    public static func application(
        registry: Registry, log: (any RecordLog)? = nil, configuration: ServerConfiguration = ServerConfiguration(),
        metrics: ServerMetrics = ServerMetrics(), logger: Logger = Logger(label: "canon")
    ) -> some ApplicationProtocol {
        let router = Router()
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: OriginGuard(allowedHosts: configuration.allowedHosts, corsOrigins: configuration.corsOrigins))
        router.add(middleware: LogRequestsMiddleware(.debug))
        router.get("/openapi.yaml") { _, _ in
            RegistryServer.response(status: .ok, body: ByteBuffer(string: OpenAPI.yaml), contentType: "application/yaml")
        }
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: metrics.text)))
        }
        router.get("/health") { _, _ in
            if let failure = await registry.storeFailure {
                return json(.object(["status": .string("DOWN"), "reason": .string(failure)]), status: .serviceUnavailable)
            }
            return json(.object(["status": .string("UP")]))
        }
        // Confluent's resources: content types negotiated, errors in Confluent's body.
        let cache = ResponseCache(changes: registry.changes, budget: configuration.responseCacheBytes)
        let limit = configuration.maximumBodyBytes
        let confluent = router.group().add(middleware: ContentNegotiation(maximumBodyBytes: limit)).add(middleware: APIErrorMiddleware())
        confluent.addRoutes(SchemaRoutes.collection(registry: registry, cache: cache))
        confluent.addRoutes(SubjectRoutes.collection(registry: registry, cache: cache, limit: limit, metrics: metrics))
        confluent.addRoutes(ConfigRoutes.collection(registry: registry, limit: limit))
        if let log {
            let v3 = router.group().add(middleware: APIErrorMiddleware(contentType: "application/json"))
            v3.addRoutes(
                TopicRoutes.collection(
                    log: log, registry: registry, limit: limit, responseBudget: configuration.maximumResponseBytes, metrics: metrics))
        }
        return Application(
            router: router,
            server: .http1(
                configuration: .init(
                    additionalChannelHandlers: [RefusedBodyHandler()],
                    idleTimeout: configuration.idleTimeoutSeconds.map { .seconds(Int64($0)) })),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "canon"),
            logger: logger)
    }

    // MARK: - Responses

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        response(status: status, body: ByteBuffer(string: value.jsonText))
    }

    static func response(status: HTTPResponse.Status, body: ByteBuffer, contentType: String = RegistryServer.contentType) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Response(status: status, headers: headers, body: .init(byteBuffer: body))
    }

    // MARK: - Requests

    /// A query flag: case-insensitive `true` is true, anything else false (as confluent-kafka sends `False`).
    static func flag(_ request: Request, _ name: String) -> Bool {
        request.uri.queryParameters.get(name)?.lowercased() == "true"
    }

    static func subject(_ context: some RequestContext) throws -> String {
        let raw = context.parameters.get("subject") ?? ""
        return raw.removingPercentEncoding ?? raw
    }

    static func versionSpec(_ context: some RequestContext) throws -> Registry.VersionSpec {
        try Registry.VersionSpec(context.parameters.get("version") ?? "")
    }

    static func page<T>(_ items: [T], _ request: Request) -> [T] {
        let offset = max(0, Int(request.uri.queryParameters.get("offset") ?? "") ?? 0)
        let limit = Int(request.uri.queryParameters.get("limit") ?? "") ?? -1
        let rest = items.dropFirst(offset)
        return Array(limit >= 0 ? rest.prefix(limit) : rest)
    }

    /// The request's JSON body: 413 above the limit, 400 when it is not JSON.
    static func body(_ request: Request, limit: Int) async throws -> JSONValue {
        try parseJSON(try await rawBody(request, limit: limit))
    }

    static func parseJSON(_ buffer: ByteBuffer) throws -> JSONValue {
        do {
            return try JSONReader.parse(bytes: Array(buffer.readableBytesView))
        } catch {
            throw APIError(.badRequest, 400, "Unrecognized request body: not JSON (\(error))")
        }
    }

    /// The request's body bytes: 413 above the limit.
    static func rawBody(_ request: Request, limit: Int) async throws -> ByteBuffer {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError(.contentTooLarge, 413, "Request body of \(length) bytes is larger than the limit of \(limit) bytes")
        }
        var request = request
        do {
            return try await request.collectBody(upTo: limit)
        } catch {
            throw APIError(.contentTooLarge, 413, "Request body is larger than the limit of \(limit) bytes")
        }
    }

    static func schemaJSON(_ s: Registry.RegisteredSchema, subject: Bool = true) -> JSONValue {
        var object: JSONObject = [:]
        if subject { object["subject"] = .string(s.subject) }
        object["version"] = .int(Int64(s.version))
        object["id"] = .int(Int64(s.id))
        if let type = s.schemaType.confluentName { object["schemaType"] = .string(type) }
        if !s.references.isEmpty { object["references"] = s.references.json }
        object["schema"] = .string(s.schema)
        return .object(object)
    }

    static func id(_ context: some RequestContext) throws -> Int32 {
        let text = context.parameters.get("id") ?? ""
        // Confluent's {id} is a Java Integer: text that is not one never reaches the resource, and Jersey
        // answers its plain 404.
        guard let id = Int32(text) else { throw APIError.jerseyNotFound }
        guard id >= 1 else { throw RegistryError.schemaNotFound(text) }
        return id
    }
}

/// Answers of read routes by request, kept while the registry has not changed since (its change
/// counter), so that hot reads (a schema by ID, a lookup by its raw body) skip the registry.
final class ResponseCache: Sendable {
    private struct Entries {
        var answers: [String: (generation: UInt64, body: ByteBuffer)] = [:]
        var bytes = 0
    }

    private let entries = Locked(Entries())
    private let changes: ChangeCounter
    /// Keys and answers together stay under this many bytes (the cache starts over beyond it); 0 keeps
    /// nothing.
    private let budget: Int

    init(changes: ChangeCounter, budget: Int) {
        self.changes = changes
        self.budget = budget
    }

    /// The bytes of keys and answers kept now.
    var storedBytes: Int { entries.withValue { $0.bytes } }

    /// The answer for `key`: the kept one while the registry has not changed, else `compute`'s (kept when
    /// it succeeds). The change count is read before computing, so an answer computed while the registry
    /// changed is never served later.
    func answer(_ key: String, _ compute: () async throws -> JSONValue) async throws -> Response {
        let generation = changes.value
        if let hit = entries.withValue({ $0.answers[key] }), hit.generation == generation {
            return RegistryServer.response(status: .ok, body: hit.body)
        }
        let body = ByteBuffer(string: try await compute().jsonText)
        let size = key.utf8.count + body.readableBytes
        if size <= budget {
            entries.withValue { e in
                if let old = e.answers[key] { e.bytes -= key.utf8.count + old.body.readableBytes }
                if e.bytes + size > budget { e = Entries() }
                e.answers[key] = (generation, body)
                e.bytes += size
            }
        }
        return RegistryServer.response(status: .ok, body: body)
    }
}
