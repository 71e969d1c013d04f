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

    public init(host: String = "127.0.0.1", port: Int = 8081, maximumBodyBytes: Int = 1 << 20) {
        self.host = host
        self.port = port
        self.maximumBodyBytes = maximumBodyBytes
    }
}

/// Confluent Schema Registry 7.9's REST API over a ``Registry``: routes, request parsing, response and
/// error bodies. No authentication: bind to loopback or put a proxy in front.
public enum RegistryServer {
    /// The content type of every answer.
    public static let contentType = "application/vnd.schemaregistry.v1+json"

    /// The application: the registry's routes on `configuration`'s address.
    /// `metrics` are served at `GET /metrics`; pass the ones the registry and the log report to.
    /// With `engine` (the log the registry's store also uses), the topics and records API is served too.
    public static func application(registry: Registry, engine: LogEngine? = nil, configuration: ServerConfiguration = ServerConfiguration(),
                                   metrics: ServerMetrics = ServerMetrics(), logger: Logger = Logger(label: "canon")) -> some ApplicationProtocol {
        let router = Router()
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: LogRequestsMiddleware(.debug))
        router.get("/openapi.yaml") { _, _ in
            RegistryServer.response(status: .ok, body: ByteBuffer(string: OpenAPI.yaml), contentType: "application/yaml")
        }
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: metrics.text)))
        }
        addRoutes(to: router, registry: registry, maximumBodyBytes: configuration.maximumBodyBytes, metrics: metrics)
        if let engine { TopicRoutes.addRoutes(to: router, engine: engine, registry: registry, limit: configuration.maximumBodyBytes, metrics: metrics) }
        return Application(router: router, configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "canon"),
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

    static func error(_ e: RegistryError) -> Response {
        json(errorJSON(e), status: .init(code: e.status))
    }

    /// Runs a handler, turning registry errors into Confluent's error bodies and anything else into 50001.
    static func answer(_ body: () async throws -> JSONValue) async -> Response {
        let (status, buffer) = await answerBody(body)
        return response(status: status, body: buffer)
    }

    /// ``answer(_:)`` as a status and body.
    static func answerBody(_ body: () async throws -> JSONValue) async -> (HTTPResponse.Status, ByteBuffer) {
        do {
            return (.ok, ByteBuffer(string: try await body().jsonText))
        } catch let e as RegistryError {
            return (.init(code: e.status), ByteBuffer(string: errorJSON(e).jsonText))
        } catch {
            return (.internalServerError, ByteBuffer(string: errorJSON(.storeError("\(error)")).jsonText))
        }
    }

    static func errorJSON(_ e: RegistryError) -> JSONValue {
        .object(["error_code": .int(Int64(e.code)), "message": .string(e.message)])
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
            throw RegistryError(status: 400, code: 400, "Unrecognized request body: not JSON (\(error))")
        }
    }

    /// The request's body bytes: 413 above the limit.
    static func rawBody(_ request: Request, limit: Int) async throws -> ByteBuffer {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw RegistryError(status: 413, code: 413, "Request body of \(length) bytes is larger than the limit of \(limit) bytes")
        }
        var request = request
        do {
            return try await request.collectBody(upTo: limit)
        } catch {
            throw RegistryError(status: 413, code: 413, "Request body is larger than the limit of \(limit) bytes")
        }
    }

    struct SchemaRequest {
        var schema: String
        var schemaType: String?
        var references: [SchemaReference]
        var id: Int32?
        var version: Int?

        init(_ json: JSONValue) throws {
            guard case .object = json else { throw RegistryError.invalidSchema("the request body must be a JSON object") }
            // Confluent: a missing or empty schema is "Empty schema"; a schema that is not a string is not one.
            let schema: String
            switch json["schema"] {
            case .string(let s)? where !s.isEmpty: schema = s
            case .string?, .null?, nil: throw RegistryError.emptySchema
            default: throw RegistryError.invalidSchema("'schema' must be a string")
            }
            self.schema = schema
            switch json["schemaType"] {
            case .string(let t)?: schemaType = t
            case .null?, nil: schemaType = nil
            default: throw RegistryError.invalidSchema("'schemaType' must be a string")
            }
            references = []
            if case .array(let refs)? = json["references"] {
                for r in refs {
                    guard let name = r["name"]?.stringValue, let subject = r["subject"]?.stringValue, let version = r["version"]?.int64Value,
                        let v = Int(exactly: version), v == -1 || v >= 1 else {
                        throw RegistryError.invalidSchema("a reference needs 'name', 'subject' and 'version' (a number >= 1, or -1)")
                    }
                    references.append(SchemaReference(name: name, subject: subject, version: v))
                }
            }
            if let raw = json["id"]?.int64Value {
                guard raw < 0 || raw <= Int64(Int32.max) else { throw RegistryError.notPermitted("id \(raw) is out of range (1 to \(Int32.max))") }
                id = raw < 0 ? nil : Int32(raw)  // Confluent reads a negative id as none
            }
            if let raw = json["version"]?.int64Value {
                guard raw < 0 || raw <= Int64(Int32.max) else { throw RegistryError.notPermitted("version \(raw) is out of range (1 to \(Int32.max))") }
                version = raw < 0 ? nil : Int(raw)
            }
        }
    }

    static func schemaJSON(_ s: Registry.RegisteredSchema, subject: Bool = true) -> JSONValue {
        var object: JSONObject = [:]
        if subject { object["subject"] = .string(s.subject) }
        object["version"] = .int(Int64(s.version))
        object["id"] = .int(Int64(s.id))
        if s.schemaType != "AVRO" { object["schemaType"] = .string(s.schemaType) }
        if !s.references.isEmpty { object["references"] = referencesJSON(s.references) }
        object["schema"] = .string(s.schema)
        return .object(object)
    }

    static func referencesJSON(_ references: [SchemaReference]) -> JSONValue {
        .array(references.map { .object(["name": .string($0.name), "subject": .string($0.subject), "version": .int(Int64($0.version))]) })
    }

    // MARK: - Routes

    static func addRoutes(to base: Router<BasicRequestContext>, registry: Registry, maximumBodyBytes limit: Int, metrics: ServerMetrics) {
        let cache = ResponseCache(changes: registry.changes)
        base.get("/health") { _, _ in
            if let failure = await registry.storeFailure {
                return json(.object(["status": .string("DOWN"), "reason": .string(failure)]), status: .serviceUnavailable)
            }
            return json(.object(["status": .string("UP")]))
        }
        // Confluent's resources: their content types are negotiated.
        let router = base.group().add(middleware: ContentNegotiation())
        router.get("/") { _, _ in json(.object([:])) }
        router.get("/schemas/types") { _, _ in json(.array([.string("AVRO")])) }

        router.get("/schemas") { request, _ in
            await answer {
                let prefix = request.uri.queryParameters.get("subjectPrefix") ?? ""
                let deleted = flag(request, "deleted"), latestOnly = flag(request, "latestOnly")
                var out: [JSONValue] = []
                for subject in await registry.subjects(prefix: prefix, includeDeleted: deleted) {
                    let numbers = try await registry.versions(of: subject, includeDeleted: deleted)
                    for number in latestOnly ? Array(numbers.suffix(1)) : numbers {
                        out.append(schemaJSON(try await registry.version(.number(number), of: subject, includeDeleted: deleted)))
                    }
                }
                return .array(page(out, request))
            }
        }
        router.get("/schemas/ids/:id") { request, context in
            // includeSubjects=true (Karapace's extension) adds the subjects using the ID.
            let includeSubjects = flag(request, "includeSubjects")
            let key = "id\u{0}\(includeSubjects)\u{0}" + (context.parameters.get("id") ?? "")
            if let hit = cache[key] { return hit }
            let generation = cache.generation
            return cache.store(key, generation: generation, await answerBody {
                let id = try id(context)
                let content = try await registry.schema(id: id)
                var object: JSONObject = [:]
                if content.schemaType != "AVRO" { object["schemaType"] = .string(content.schemaType) }
                if !content.references.isEmpty { object["references"] = referencesJSON(content.references) }
                object["schema"] = .string(content.schema)
                if includeSubjects {
                    var seen = Set<String>()
                    let subjects = try await registry.versions(usingID: id).map(\.subject).filter { seen.insert($0).inserted }
                    object["subjects"] = .array(subjects.map(JSONValue.string))
                }
                return .object(object)
            })
        }
        router.get("/schemas/ids/:id/schema") { _, context in
            do {
                let content = try await registry.schema(id: try id(context))
                return json((try? JSONReader.parse(content.schema)) ?? .string(content.schema))
            } catch let e as RegistryError {
                return error(e)
            }
        }
        router.get("/schemas/ids/:id/subjects") { request, context in
            await answer {
                let pairs = try await registry.versions(usingID: try id(context), includeDeleted: flag(request, "deleted"))
                var seen = Set<String>()
                return .array(page(pairs.map(\.subject).filter { seen.insert($0).inserted }.map(JSONValue.string), request))
            }
        }
        router.get("/schemas/ids/:id/versions") { request, context in
            await answer {
                let pairs = try await registry.versions(usingID: try id(context), includeDeleted: flag(request, "deleted"))
                return .array(page(pairs.map { .object(["subject": .string($0.subject), "version": .int(Int64($0.version))]) }, request))
            }
        }

        router.get("/subjects") { request, _ in
            await answer {
                let subjects = await registry.subjects(prefix: request.uri.queryParameters.get("subjectPrefix") ?? "",
                                                       includeDeleted: flag(request, "deleted"), deletedOnly: flag(request, "deletedOnly"))
                return .array(page(subjects, request).map(JSONValue.string))
            }
        }
        router.post("/subjects/:subject") { request, context in
            // Clients repeat the same lookup for every record they serialize: answer it from the raw body.
            let raw: ByteBuffer
            do {
                raw = try await rawBody(request, limit: limit)
            } catch let e as RegistryError {
                return error(e)
            }
            let key = "lookup\u{0}\(flag(request, "deleted"))\(flag(request, "normalize"))\u{0}" + (context.parameters.get("subject") ?? "") + "\u{0}" + String(buffer: raw)
            if let hit = cache[key] { return hit }
            let generation = cache.generation
            return cache.store(key, generation: generation, await answerBody {
                let s = try subject(context)
                let r = try SchemaRequest(try parseJSON(raw))
                return schemaJSON(try await registry.lookup(subject: s, schema: r.schema, schemaType: r.schemaType, references: r.references,
                                                            normalize: flag(request, "normalize"), includeDeleted: flag(request, "deleted")))
            })
        }
        router.delete("/subjects/:subject") { request, context in
            await answer {
                .array(try await registry.deleteSubject(try subject(context), permanent: flag(request, "permanent")).map { .int(Int64($0)) })
            }
        }
        router.get("/subjects/:subject/versions") { request, context in
            await answer {
                let numbers = try await registry.versions(of: try subject(context), includeDeleted: flag(request, "deleted"), deletedOnly: flag(request, "deletedOnly"))
                return .array(page(numbers, request).map { .int(Int64($0)) })
            }
        }
        router.post("/subjects/:subject/versions") { request, context in
            await answer {
                let s = try subject(context)
                let r = try SchemaRequest(try await body(request, limit: limit))
                let registered: Registry.RegisteredSchema
                do {
                    registered = try await registry.register(subject: s, schema: r.schema, schemaType: r.schemaType, references: r.references,
                                                             normalize: flag(request, "normalize"), id: r.id, version: r.version)
                } catch let e as RegistryError where e.status == 409 {
                    metrics.rejections.increment()
                    throw e
                }
                metrics.registrations.increment()
                var object: JSONObject = ["id": .int(Int64(registered.id)), "version": .int(Int64(registered.version)), "schemaType": .string(registered.schemaType)]
                if !registered.references.isEmpty { object["references"] = referencesJSON(registered.references) }
                object["schema"] = .string(registered.schema)
                return .object(object)
            }
        }
        router.get("/subjects/:subject/versions/:version") { request, context in
            await answer { schemaJSON(try await registry.version(try versionSpec(context), of: try subject(context), includeDeleted: flag(request, "deleted"))) }
        }
        router.get("/subjects/:subject/versions/:version/schema") { request, context in
            do {
                let v = try await registry.version(try versionSpec(context), of: try subject(context), includeDeleted: flag(request, "deleted"))
                return json((try? JSONReader.parse(v.schema)) ?? .string(v.schema))
            } catch let e as RegistryError {
                return error(e)
            }
        }
        router.get("/subjects/:subject/versions/:version/referencedby") { request, context in
            await answer { .array(page(try await registry.referencedBy(try versionSpec(context), of: try subject(context)), request).map { .int(Int64($0)) }) }
        }
        router.delete("/subjects/:subject/versions/:version") { request, context in
            await answer { .int(Int64(try await registry.deleteVersion(try versionSpec(context), of: try subject(context), permanent: flag(request, "permanent")))) }
        }

        @Sendable func compatibility(_ request: Request, _ context: BasicRequestContext, version: Registry.VersionSpec?) async -> Response {
            await answer {
                let r = try SchemaRequest(try await body(request, limit: limit))
                let result = try await registry.checkCompatibility(subject: try subject(context), version: version, schema: r.schema,
                                                                   schemaType: r.schemaType, references: r.references)
                var object: JSONObject = ["is_compatible": .bool(result.isCompatible)]
                if flag(request, "verbose") { object["messages"] = .array(result.messages.map(JSONValue.string)) }
                return .object(object)
            }
        }
        router.post("/compatibility/subjects/:subject/versions/:version") { request, context in
            do {
                let spec = try versionSpec(context)
                return await compatibility(request, context, version: spec)
            } catch let e as RegistryError {
                return error(e)
            }
        }
        router.post("/compatibility/subjects/:subject/versions") { request, context in
            await compatibility(request, context, version: nil)
        }

        // Config and mode, global and per subject.
        @Sendable func levelJSON(_ level: CompatibilityLevel) -> JSONValue { .object(["compatibilityLevel": .string(level.rawValue)]) }
        router.get("/config") { _, _ in await answer { levelJSON(try await registry.compatibility(subject: nil)) } }
        router.get("/config/:subject") { request, context in
            await answer { levelJSON(try await registry.compatibility(subject: try subject(context), defaultToGlobal: flag(request, "defaultToGlobal"))) }
        }
        @Sendable func putConfig(_ request: Request, _ subject: String?) async -> Response {
            await answer {
                let json = try await body(request, limit: limit)
                let text = json["compatibility"]?.stringValue ?? ""
                guard let level = CompatibilityLevel(name: text) else { throw RegistryError.invalidCompatibilityLevel }
                try await registry.setCompatibility(level, subject: subject)
                return .object(["compatibility": .string(level.rawValue)])
            }
        }
        router.put("/config") { request, _ in await putConfig(request, nil) }
        router.put("/config/:subject") { request, context in await putConfig(request, try subject(context)) }
        router.delete("/config") { _, _ in await answer { levelJSON(try await registry.deleteCompatibility(subject: nil)) } }
        router.delete("/config/:subject") { _, context in await answer { levelJSON(try await registry.deleteCompatibility(subject: try subject(context))) } }

        @Sendable func modeJSON(_ mode: RegistryMode) -> JSONValue { .object(["mode": .string(mode.rawValue)]) }
        router.get("/mode") { _, _ in await answer { modeJSON(try await registry.mode(subject: nil)) } }
        router.get("/mode/:subject") { request, context in
            await answer { modeJSON(try await registry.mode(subject: try subject(context), defaultToGlobal: flag(request, "defaultToGlobal"))) }
        }
        @Sendable func putMode(_ request: Request, _ subject: String?) async -> Response {
            await answer {
                let json = try await body(request, limit: limit)
                let text = json["mode"]?.stringValue ?? ""
                guard let mode = RegistryMode(rawValue: text.uppercased()) else { throw RegistryError.invalidMode(text) }
                try await registry.setMode(mode, subject: subject, force: flag(request, "force"))
                return modeJSON(mode)
            }
        }
        router.put("/mode") { request, _ in await putMode(request, nil) }
        router.put("/mode/:subject") { request, context in await putMode(request, try subject(context)) }
        router.delete("/mode") { _, _ in await answer { modeJSON(try await registry.deleteMode(subject: nil)) } }
        router.delete("/mode/:subject") { _, context in await answer { modeJSON(try await registry.deleteMode(subject: try subject(context))) } }

        // confluent-kafka's default subject-name strategy asks for associations first; none exist here.
        router.get("/associations/**") { _, _ in
            error(RegistryError(status: 404, code: 40410, "Association not found"))
        }
    }

    static func id(_ context: some RequestContext) throws -> Int32 {
        let text = context.parameters.get("id") ?? ""
        // Confluent's {id} is a Java Integer: text that is not one never reaches the resource, and Jersey
        // answers its plain 404.
        guard let id = Int32(text) else { throw RegistryError.jerseyNotFound }
        guard id >= 1 else { throw RegistryError.schemaNotFound(text) }
        return id
    }
}

/// Answers of read routes by request, kept while the registry has not changed since (its change
/// counter), so that hot reads (a schema by ID, a lookup by its raw body) skip the registry.
// @unchecked Sendable: `entries` is only touched with `lock` held.
final class ResponseCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: (generation: UInt64, status: HTTPResponse.Status, body: ByteBuffer)] = [:]
    private let changes: ChangeCounter
    /// Keys and answers together stay under this many bytes (the cache starts over beyond it).
    private let budget = 32 << 20
    private var bytes = 0

    init(changes: ChangeCounter) {
        self.changes = changes
    }

    subscript(key: String) -> Response? {
        let generation = changes.value
        guard let entry = lock.withLock({ entries[key] }), entry.generation == generation else { return nil }
        return RegistryServer.response(status: entry.status, body: entry.body)
    }

    /// The registry's change count now: read it before computing an answer to store.
    var generation: UInt64 { changes.value }

    /// Keeps a successful answer (it depends on the registry's state only), computed from
    /// the state of `generation` (read before), and returns it. A change during the computation makes
    /// the counter move on, so such an answer is never served.
    func store(_ key: String, generation: UInt64, _ answer: (HTTPResponse.Status, ByteBuffer)) -> Response {
        let (status, body) = answer
        if status == .ok {
            lock.withLock {
                let size = key.utf8.count + body.readableBytes
                if bytes + size > budget {
                    entries.removeAll()
                    bytes = 0
                }
                if entries.updateValue((generation, status, body), forKey: key) == nil { bytes += size }
            }
        }
        return RegistryServer.response(status: status, body: body)
    }
}
