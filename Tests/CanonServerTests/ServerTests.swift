import CanonCore
import CanonLog
import CanonLogTestKit
import CanonRegistry
import CanonServer
import Foundation
import Hummingbird
import HummingbirdTesting
import CanonTestSupport
import Testing

private func record(_ name: String, _ fields: String...) -> String {
    #"{"type":"record","name":"\#(name)","namespace":"com.example","fields":[\#(fields.joined(separator: ","))]}"#
}

private func body(_ schema: String, extra: String = "") -> String {
    let escaped = JSONValue.string(schema).jsonText
    return #"{"schema":\#(escaped)\#(extra)}"#
}

/// One HTTP exchange's result.
struct Answer {
    var status: Int
    var json: JSONValue
    var contentType: String?

    var code: Int? { json["error_code"]?.int64Value.map(Int.init) }
}

/// The server on a fresh registry, driven through Hummingbird's test client; `call` sends Confluent's
/// content type, `headers` adds to or replaces it.
func withServer(
    maximumBodyBytes: Int = 1 << 20, responseCacheBytes: Int = 32 << 20, maximumResponseBytes: Int = 16 << 20,
    metrics: ServerMetrics = ServerMetrics(), fileSystem: FaultInjectingFileSystem = FaultInjectingFileSystem(),
    registryConfiguration: Registry.Configuration = Registry.Configuration(),
    _ test:
        @Sendable (_ call: @escaping @Sendable (HTTPRequest.Method, String, ByteBuffer?, HTTPFields) async throws -> Answer) async throws ->
        Void
) async throws {
    let catalog = SchemaCatalog()
    let engine = try LogEngine(path: "/data", fileSystem: fileSystem, validator: RegistryRecordValidator(catalog: catalog))
    let registry = try await Registry(
        store: try await LogRegistryStore(log: engine), configuration: registryConfiguration, catalog: catalog)
    let app = RegistryServer.application(
        registry: registry, log: engine,
        configuration: .init(
            maximumBodyBytes: maximumBodyBytes, responseCacheBytes: responseCacheBytes, maximumResponseBytes: maximumResponseBytes),
        metrics: metrics)
    try await app.test(.router) { client in
        try await test { method, uri, bytes, extra in
            var headers: HTTPFields = [.contentType: "application/vnd.schemaregistry.v1+json"]
            for field in extra { headers[field.name] = field.value }
            return try await client.execute(uri: uri, method: method, headers: headers, body: bytes) { response in
                let bytes = Array(response.body.readableBytesView)
                return Answer(
                    status: Int(response.status.code),
                    json: (try? JSONReader.parse(bytes: bytes)) ?? .string(String(decoding: bytes, as: UTF8.self)),
                    contentType: response.headers[.contentType])
            }
        }
    }
    await engine.shutdown()
}

/// `withServer` for tests that send Confluent's content type only.
func withServer(
    maximumBodyBytes: Int = 1 << 20, responseCacheBytes: Int = 32 << 20, maximumResponseBytes: Int = 16 << 20,
    metrics: ServerMetrics = ServerMetrics(), fileSystem: FaultInjectingFileSystem = FaultInjectingFileSystem(),
    registryConfiguration: Registry.Configuration = Registry.Configuration(),
    _ test: @Sendable (_ call: @escaping @Sendable (HTTPRequest.Method, String, String?) async throws -> Answer) async throws -> Void
) async throws {
    try await withServer(
        maximumBodyBytes: maximumBodyBytes, responseCacheBytes: responseCacheBytes, maximumResponseBytes: maximumResponseBytes,
        metrics: metrics, fileSystem: fileSystem,
        registryConfiguration: registryConfiguration
    ) {
        (call: @escaping @Sendable (HTTPRequest.Method, String, ByteBuffer?, HTTPFields) async throws -> Answer) in
        try await test { method, uri, text in try await call(method, uri, text.map { ByteBuffer(string: $0) }, [:]) }
    }
}

@Suite struct ServerTests {
    static let v1 = record("Order", #"{"name":"id","type":"long"}"#)
    static let v2 = record("Order", #"{"name":"id","type":"long"}"#, #"{"name":"qty","type":"int","default":1}"#)
    static let bad = record("Order", #"{"name":"id","type":"long"}"#, #"{"name":"price","type":"double"}"#)

    @Test func schemasSubjectsAndVersions() async throws {
        try await withServer { call in
            #expect(try await call(.get, "/", nil).json == .object([:]))
            #expect(try await call(.get, "/schemas/types", nil).json == .array([.string("AVRO"), .string("JSON"), .string("XSD")]))
            let registered = try await call(
                .post, "/subjects/orders-value/versions?normalize=False",
                body(Self.v1, extra: #","references":[],"metadata":{"properties":{}},"ruleSet":null"#))
            #expect(registered.status == 200 && registered.contentType == RegistryServer.contentType)
            #expect(
                registered.json["id"] == .int(1) && registered.json["version"] == .int(1)
                    && registered.json["schemaType"] == .string("AVRO"))
            #expect(registered.json["schema"]?.stringValue?.contains("com.example") == true)
            _ = try await call(.post, "/subjects/orders-value/versions", body(Self.v2))
            #expect(try await call(.get, "/subjects", nil).json == .array([.string("orders-value")]))
            #expect(try await call(.get, "/subjects?subjectPrefix=x", nil).json == .array([]))
            #expect(try await call(.get, "/subjects/orders-value/versions", nil).json == .array([.int(1), .int(2)]))
            #expect(try await call(.get, "/subjects/orders-value/versions?offset=1&limit=1", nil).json == .array([.int(2)]))
            let latest = try await call(.get, "/subjects/orders-value/versions/latest", nil)
            #expect(
                latest.json["version"] == .int(2) && latest.json["subject"] == .string("orders-value") && latest.json["schemaType"] == nil)
            #expect(try await call(.get, "/subjects/orders-value/versions/-1", nil).json["version"] == .int(2))
            #expect(try await call(.get, "/subjects/orders-value/versions/1/schema", nil).json["name"] == .string("Order"))
            #expect(try await call(.get, "/schemas/ids/2", nil).json["schema"]?.stringValue?.contains("qty") == true)
            #expect(try await call(.get, "/schemas/ids/2/schema", nil).json["name"] == .string("Order"))
            #expect(try await call(.get, "/schemas/ids/1/subjects", nil).json == .array([.string("orders-value")]))
            #expect(
                try await call(.get, "/schemas/ids/1/versions", nil).json
                    == .array([.object(["subject": .string("orders-value"), "version": .int(1)])]))
            if case .array(let all) = try await call(.get, "/schemas", nil).json {
                #expect(all.count == 2)
            } else {
                Issue.record("GET /schemas")
            }
            if case .array(let latestOnly) = try await call(.get, "/schemas?latestOnly=true", nil).json { #expect(latestOnly.count == 1) }
            let lookup = try await call(.post, "/subjects/orders-value", body(Self.v1))
            #expect(lookup.json["id"] == .int(1) && lookup.json["version"] == .int(1))
            #expect(try await call(.get, "/subjects/orders-value/versions/1/referencedby", nil).json == .array([]))
        }
    }

    @Test func errorsHaveConfluentsStatusesAndCodes() async throws {
        try await withServer(maximumBodyBytes: 4096) { call in
            _ = try await call(.post, "/subjects/s/versions", body(Self.v1))
            let cases: [(HTTPRequest.Method, String, String?, Int, Int)] = [
                (.get, "/subjects/nope/versions", nil, 404, 40401),
                (.get, "/subjects/s/versions/7", nil, 404, 40402),
                (.get, "/schemas/ids/99", nil, 404, 40403),
                (.get, "/schemas/ids/abc", nil, 404, 404),  // Jersey's plain 404: {id} is a Java Integer
                (.get, "/schemas/ids/99999999999", nil, 404, 404),
                (.get, "/schemas/ids/0", nil, 404, 40403),
                (.get, "/subjects/s/versions/abc", nil, 422, 42202),
                (.get, "/subjects/s/versions/0", nil, 422, 42202),
                (.post, "/subjects/s", body(Self.v2), 404, 40403),
                (.post, "/subjects/nope", body(Self.v1), 404, 40401),
                (.post, "/subjects/s/versions", "{not json", 400, 400),
                (.post, "/subjects/s/versions", #"{"schema":"not json"}"#, 422, 42201),
                (.post, "/subjects/s/versions", #"{"schema":"{\"type\":\"record\"}"}"#, 422, 42201),
                (.post, "/subjects/s/versions", #"{"schema":"{}","schemaType":"PROTOBUF"}"#, 422, 42201),
                (.post, "/subjects/s/versions", #"{"nothing":1}"#, 422, 42201),
                (.post, "/subjects/s/versions", #"{"schema":""}"#, 422, 42201),
                (.post, "/compatibility/subjects/nope/versions/1", body(Self.v1), 404, 40402),  // Confluent: 40402, not 40401
                (.post, "/compatibility/subjects/s/versions/9", body(Self.v1), 404, 40402),
                (.post, "/subjects/s/versions", body(Self.bad), 409, 409),
                (.post, "/subjects/s/versions", String(repeating: " ", count: 5000) + "{}", 413, 413),
                (.put, "/config", #"{"compatibility":"SIDEWAYS"}"#, 422, 42203),
                (.put, "/mode", #"{"mode":"WRITEONLY"}"#, 422, 42204),
                (.get, "/config/s", nil, 404, 40408),
                (.get, "/mode/s", nil, 404, 40409),
                (.delete, "/subjects/s?permanent=true", nil, 404, 40405),
                (.delete, "/subjects/s/versions/1?permanent=true", nil, 404, 40407),
                (.get, "/associations/subjects/s", nil, 404, 40410),
            ]
            for (method, uri, text, status, code) in cases {
                let answer = try await call(method, uri, text)
                #expect(answer.status == status && answer.code == code, "\(method) \(uri): \(answer.status) \(answer.json.jsonText)")
                #expect(answer.json["message"]?.stringValue?.isEmpty == false)
            }
            // Confluent's exact words where clients match on them.
            #expect(
                try await call(.get, "/schemas/ids/abc", nil).json
                    == .object(["error_code": .int(404), "message": .string("HTTP 404 Not Found")]))
            #expect(try await call(.post, "/subjects/s/versions", #"{"schema":""}"#).json["message"] == .string("Empty schema"))
            #expect(try await call(.post, "/subjects/s/versions", #"{"nothing":1}"#).json["message"] == .string("Empty schema"))
            #expect(
                try await call(.put, "/config", #"{"compatibility":"SIDEWAYS"}"#).json["message"]
                    == .string(
                        "Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive"
                    ))
            // The server keeps serving.
            #expect(try await call(.get, "/subjects/s/versions", nil).json == .array([.int(1)]))
        }
    }

    /// Content types as Confluent's resources declare them: answers in the type `Accept` ranks first
    /// (v1, then the default registry type, then JSON, by the server's weights on ties), 406 when none;
    /// bodies in those types or octet-stream, 415 otherwise, a declared charset decoded.
    @Test func contentTypesAreNegotiatedAsConfluentsResourcesDeclareThem() async throws {
        try await withServer { call in
            let v1 = RegistryServer.contentType
            let accepts: [(String?, String?)] = [
                (nil, v1), ("*/*", v1), ("application/json", "application/json"), ("application/*", v1),
                ("application/vnd.schemaregistry+json", "application/vnd.schemaregistry+json"),
                ("application/json, application/vnd.schemaregistry.v1+json;q=0.9", "application/json"),
                ("application/json;q=0.1, */*", v1), ("text/html, application/json;q=0.8", "application/json"),
                ("application/json;q=0, application/vnd.schemaregistry+json;q=0.2", "application/vnd.schemaregistry+json"),
            ]
            for (accept, expected) in accepts {
                let answer = try await call(.get, "/subjects", nil, accept.map { [.accept: $0] } ?? [:])
                #expect(
                    answer.status == 200 && answer.contentType == expected, "Accept: \(accept ?? "none") -> \(answer.contentType ?? "none")"
                )
            }
            for accept in ["text/html", "application/xml, text/plain;q=0.5", "application/json;q=0"] {
                let answer = try await call(.get, "/subjects", nil, [.accept: accept])
                #expect(
                    answer.status == 406
                        && answer.json == .object(["error_code": .int(406), "message": .string("HTTP 406 Not Acceptable")]), "\(accept)")
            }
            // Errors come in the negotiated type too.
            #expect(try await call(.get, "/subjects/none/versions", nil, [.accept: "application/json"]).contentType == "application/json")
            for type in [
                "application/json", "application/vnd.schemaregistry+json", "application/octet-stream", "application/json; charset=utf-8",
            ] {
                let answer = try await call(
                    .post, "/subjects/s\(type.count)/versions", ByteBuffer(string: body(Self.v1)), [.contentType: type])
                #expect(answer.status == 200, "\(type): \(answer.json.jsonText)")
            }
            for type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", "application/json; charset=klingon"] {
                let answer = try await call(.post, "/subjects/t/versions", ByteBuffer(string: body(Self.v1)), [.contentType: type])
                #expect(answer.status == 415 && answer.code == 415, "\(type): \(answer.status)")
            }
            #expect(try await call(.get, "/subjects", nil, [:]).json.jsonText.contains("\"t\"") == false)  // nothing refused was registered
            // A body in ISO-8859-1 or UTF-16, as its charset says: the é is read as é.
            let cafe = record("Order", #"{"name":"id","type":"long","doc":"caf\#u{E9}"}"#)
            for (charset, encoding) in [("ISO-8859-1", String.Encoding.isoLatin1), ("utf-16le", .utf16LittleEndian)] {
                let bytes = ByteBuffer(bytes: Array(body(cafe).data(using: encoding)!))
                let answer = try await call(
                    .post, "/subjects/cafe-\(charset)/versions", bytes, [.contentType: "application/json; charset=\(charset)"])
                #expect(answer.status == 200, "\(charset): \(answer.json.jsonText)")
                let stored = try await call(.get, "/subjects/cafe-\(charset)/versions/1/schema", nil, [:])
                #expect(
                    stored.json["fields"].flatMap { if case .array(let f) = $0 { return f.first?["doc"] } else { return nil } }
                        == .string("caf\u{E9}"))
            }
        }
    }

    @Test func karapacesIncludeSubjectsListsTheSubjectsOfAnID() async throws {
        try await withServer { call in
            _ = try await call(.post, "/subjects/a/versions", body(Self.v1))
            _ = try await call(.post, "/subjects/b/versions", body(Self.v1))
            let answer = try await call(.get, "/schemas/ids/1?includeSubjects=true", nil)
            #expect(answer.json["subjects"] == .array([.string("a"), .string("b")]))
            #expect(try await call(.get, "/schemas/ids/1", nil).json["subjects"] == nil)
        }
    }

    @Test func compatibilityConfigAndMode() async throws {
        try await withServer { call in
            _ = try await call(.post, "/subjects/s/versions", body(Self.v1))
            #expect(
                try await call(.post, "/compatibility/subjects/s/versions/latest", body(Self.v2)).json
                    == .object(["is_compatible": .bool(true)]))
            let verbose = try await call(.post, "/compatibility/subjects/s/versions/1?verbose=TRUE", body(Self.bad))
            #expect(verbose.json["is_compatible"] == .bool(false))
            if case .array(let messages)? = verbose.json["messages"] { #expect(messages.count >= 3) } else { Issue.record("no messages") }
            #expect(try await call(.post, "/compatibility/subjects/s/versions", body(Self.bad)).json["is_compatible"] == .bool(false))
            #expect(
                try await call(.post, "/compatibility/subjects/empty/versions/latest", body(Self.bad)).json["is_compatible"] == .bool(true))
            #expect(try await call(.get, "/config", nil).json == .object(["compatibilityLevel": .string("BACKWARD")]))
            #expect(
                try await call(.put, "/config", #"{"compatibility":"full_transitive"}"#).json
                    == .object(["compatibility": .string("FULL_TRANSITIVE")]))
            #expect(try await call(.put, "/config/s", #"{"compatibility":"NONE"}"#).json == .object(["compatibility": .string("NONE")]))
            #expect(try await call(.get, "/config/s", nil).json["compatibilityLevel"] == .string("NONE"))
            #expect(try await call(.get, "/config/t?defaultToGlobal=true", nil).json["compatibilityLevel"] == .string("FULL_TRANSITIVE"))
            #expect(try await call(.post, "/subjects/s/versions", body(Self.bad)).status == 200)  // NONE on the subject
            #expect(try await call(.delete, "/config/s", nil).json["compatibilityLevel"] == .string("NONE"))
            #expect(try await call(.delete, "/config", nil).json["compatibilityLevel"] == .string("FULL_TRANSITIVE"))
            #expect(try await call(.get, "/config", nil).json["compatibilityLevel"] == .string("BACKWARD"))
            #expect(try await call(.get, "/mode", nil).json == .object(["mode": .string("READWRITE")]))
            #expect(try await call(.put, "/mode/s", #"{"mode":"READONLY"}"#).json == .object(["mode": .string("READONLY")]))
            #expect(try await call(.post, "/subjects/s/versions", body(Self.v2)).code == 42205)
            #expect(try await call(.delete, "/subjects/s", nil).code == 42205)
            #expect(try await call(.delete, "/mode/s", nil).json == .object(["mode": .string("READONLY")]))
            #expect(try await call(.put, "/mode", #"{"mode":"IMPORT"}"#).code == 42205)  // live subjects: needs force
            #expect(try await call(.put, "/mode?force=true", #"{"mode":"IMPORT"}"#).json == .object(["mode": .string("IMPORT")]))
            #expect(try await call(.post, "/subjects/imp/versions", body(Self.v2, extra: #","id":2147483648"#)).code == 42205)
            let imported = try await call(.post, "/subjects/imp/versions", body(Self.v2, extra: #","id":300,"version":4"#))
            #expect(imported.json["id"] == .int(300) && imported.json["version"] == .int(4))
            _ = try await call(.put, "/mode", #"{"mode":"READWRITE"}"#)
            #expect(
                try await call(.post, "/subjects/new/versions", body(record("Fresh", #"{"name":"z","type":"int"}"#))).json["id"]
                    == .int(301))
        }
    }

    /// With the response cache at its default, too small for most answers (it keeps some and starts
    /// over), and off.
    @Test(arguments: [32 << 20, 300, 0])
    func deletesSoftThenPermanent(responseCacheBytes: Int) async throws {
        try await withServer(responseCacheBytes: responseCacheBytes) { call in
            _ = try await call(.post, "/subjects/s/versions", body(Self.v1))
            _ = try await call(.post, "/subjects/s/versions", body(Self.v2))
            #expect(try await call(.delete, "/subjects/s/versions/1", nil).json == .int(1))
            #expect(try await call(.delete, "/subjects/s/versions/1", nil).code == 40406)
            #expect(try await call(.get, "/subjects/s/versions", nil).json == .array([.int(2)]))
            #expect(try await call(.get, "/subjects/s/versions?deleted=true", nil).json == .array([.int(1), .int(2)]))
            #expect(try await call(.get, "/subjects/s/versions?deletedOnly=true", nil).json == .array([.int(1)]))
            #expect(try await call(.get, "/schemas/ids/1", nil).status == 200)  // still readable by ID
            #expect(try await call(.post, "/subjects/s", body(Self.v2)).json["version"] == .int(2))  // (answered, and cached)
            #expect(try await call(.delete, "/subjects/s", nil).json == .array([.int(2)]))
            // Cached answers do not outlive a change.
            #expect(try await call(.post, "/subjects/s", body(Self.v2)).code == 40401)
            #expect(try await call(.post, "/subjects/s?deleted=true", body(Self.v2)).json["version"] == .int(2))
            #expect(try await call(.delete, "/subjects/s", nil).code == 40404)
            #expect(try await call(.get, "/subjects", nil).json == .array([]))
            #expect(try await call(.get, "/subjects?deleted=true", nil).json == .array([.string("s")]))
            #expect(try await call(.get, "/subjects?deletedOnly=true", nil).json == .array([.string("s")]))
            #expect(try await call(.delete, "/subjects/s?permanent=true", nil).json == .array([.int(1), .int(2)]))
            #expect(try await call(.get, "/schemas/ids/1", nil).code == 40403)
            #expect(try await call(.get, "/subjects?deleted=true", nil).json == .array([]))
        }
    }

    @Test func metricsCountRequestsRegistrationsAndRejections() async throws {
        try await withServer { call in
            _ = try await call(.post, "/subjects/s/versions", body(Self.v1))
            _ = try await call(.post, "/subjects/s/versions", body(Self.bad))
            _ = try await call(.get, "/schemas/ids/1", nil)
            let answer = try await call(.get, "/metrics", nil)
            guard case .string(let text) = answer.json else { Issue.record("metrics are not text"); return }
            #expect(answer.status == 200 && answer.contentType?.hasPrefix("text/plain") == true)
            #expect(
                text.contains(#"canon_http_requests_total{route="/subjects/{subject}/versions",method="POST",status="200"} 1"#), "\(text)")
            #expect(text.contains(#"status="409"} 1"#))
            #expect(text.contains("canon_registry_registrations_total 1"))
            #expect(text.contains("canon_registry_compatibility_rejections_total 1"))
            #expect(text.contains("canon_http_request_duration_seconds_bucket"))
        }
    }

    /// The Kafka door's answers are counted per API, and their error codes per API and code.
    @Test func kafkaRequestsAndTheirErrorsAreCounted() {
        let metrics = ServerMetrics()
        metrics.kafkaRequest(api: "produce", errorCodes: [0, 87])
        metrics.kafkaRequest(api: "produce", errorCodes: [0])
        metrics.kafkaRequest(api: "fetch", errorCodes: [])
        let text = metrics.text
        #expect(text.contains(#"canon_kafka_requests_total{api="produce"} 2"#), "\(text)")
        #expect(text.contains(#"canon_kafka_requests_total{api="fetch"} 1"#))
        #expect(text.contains(#"canon_kafka_errors_total{api="produce",code="87"} 1"#))
        #expect(!text.contains(#"code="0""#))
    }

    @Test func referencesModesStoreFailuresAndLimitsOverHTTP() async throws {
        let fs = FaultInjectingFileSystem()
        var small = Registry.Configuration()
        small.maximumSchemaBytes = 400
        try await withServer(fileSystem: fs, registryConfiguration: small) { call in
            #expect(try await call(.get, "/health", nil).json == .object(["status": .string("UP")]))
            let address = #"{"type":"record","name":"Address","namespace":"com.example.common","fields":[{"name":"city","type":"string"}]}"#
            _ = try await call(.post, "/subjects/address/versions", body(address))
            let customer =
                #"{"type":"record","name":"Customer","namespace":"com.example","fields":[{"name":"home","type":"com.example.common.Address"}]}"#
            let refs = #","references":[{"name":"com.example.common.Address","subject":"address","version":-1}]"#
            let registered = try await call(.post, "/subjects/customer/versions?normalize=true", body(customer, extra: refs))
            #expect(
                registered.json["references"]
                    == .array([.object(["name": .string("com.example.common.Address"), "subject": .string("address"), "version": .int(1)])])
            )
            #expect(try await call(.get, "/subjects/address/versions/1/referencedby", nil).json == .array([registered.json["id"]!]))
            #expect(try await call(.delete, "/subjects/address/versions/1", nil).code == 42206)
            #expect(try await call(.get, "/subjects/customer/versions/1", nil).json["references"] != nil)
            // Modes: per subject, defaultToGlobal, global delete returns the old one.
            #expect(try await call(.get, "/mode/customer?defaultToGlobal=true", nil).json == .object(["mode": .string("READWRITE")]))
            #expect(try await call(.put, "/mode", #"{"mode":"READONLY"}"#).json == .object(["mode": .string("READONLY")]))
            #expect(try await call(.post, "/subjects/other/versions", body(Self.v1)).code == 42205)
            #expect(try await call(.delete, "/mode", nil).json == .object(["mode": .string("READONLY")]))
            #expect(try await call(.get, "/mode", nil).json == .object(["mode": .string("READWRITE")]))
            // IMPORT: the same schema live under another ID is 42207.
            _ = try await call(.put, "/mode?force=TRUE", #"{"mode":"IMPORT"}"#)
            #expect(try await call(.post, "/subjects/address/versions", body(address, extra: #","id":77"#)).code == 42207)
            _ = try await call(.put, "/mode", #"{"mode":"READWRITE"}"#)
            // Subject names and schema sizes.
            #expect(try await call(.post, "/subjects/%01/versions", body(Self.v1)).code == 42208)
            let large = record("Large", (0..<20).map { #"{"name":"field\#($0)","type":"string"}"# }.joined(separator: ","))
            #expect(try await call(.post, "/subjects/large/versions", body(large)).code == 42209)
            // A store that cannot make the event durable: 50001, and nothing visible.
            fs.inject(.init(.sync, path: "_schemas-0", error: .io))
            let failed = try await call(.post, "/subjects/new/versions", body(Self.v2))
            #expect(failed.status == 500 && failed.code == 50001)
            #expect(try await call(.get, "/subjects/new/versions", nil).code == 40401)
            let health = try await call(.get, "/health", nil)
            #expect(health.status == 503 && health.json["status"] == .string("DOWN"))
        }
    }

    @Test func topicsAndRecordsInRESTProxyV3Shapes() async throws {
        try await withServer { call in
            #expect(
                try await call(.get, "/v3/clusters", nil).json["data"]
                    == .array([.object(["kind": .string("KafkaCluster"), "cluster_id": .string("canon")])]))
            let created = try await call(
                .post, "/v3/clusters/canon/topics",
                #"{"topic_name":"plain","partitions_count":2,"configs":[{"name":"retention.ms","value":"-1"}]}"#)
            #expect(created.status == 201 && created.json["partitions_count"] == .int(2))
            #expect(try await call(.post, "/v3/clusters/canon/topics", #"{"topic_name":"plain"}"#).status == 400)
            #expect(
                try await call(
                    .post, "/v3/clusters/canon/topics",
                    #"{"topic_name":"bad","configs":[{"name":"value.schema.validation","value":"strict"}]}"#
                ).status == 400)
            #expect(
                try await call(
                    .post, "/v3/clusters/canon/topics",
                    #"{"topic_name":"bad","configs":[{"name":"value.schema.validaton","value":"full"}]}"#
                ).status == 400)
            #expect(
                try await call(.post, "/v3/clusters/canon/topics", #"{"topic_name":"bad","configs":[{"name":"partitions","value":"0"}]}"#)
                    .status == 400)
            // The registry's internal topic is not listed.
            #expect(try await call(.get, "/v3/clusters/canon/topics", nil).json["data"] == .array([created.json]))
            #expect(try await call(.get, "/v3/clusters/canon/topics/plain", nil).json["topic_name"] == .string("plain"))
            #expect(try await call(.get, "/v3/clusters/canon/topics/_schemas", nil).status == 404)
            #expect(try await call(.get, "/v3/clusters/other/topics", nil).status == 404)
            #expect(try await call(.get, "/v3/clusters/canon/topics/plain/configs/retention.ms", nil).json["value"] == .string("-1"))
            #expect(try await call(.put, "/v3/clusters/canon/topics/plain/configs/partitions", #"{"value":"0"}"#).status == 400)
            #expect(
                try await call(.put, "/v3/clusters/canon/topics/plain/configs/value.schema.validation", #"{"value":"id"}"#).status == 204)
            #expect(
                try await call(.get, "/v3/clusters/canon/topics/plain/configs/value.schema.validation", nil).json["value"] == .string("id"))
            // Validation `id` now: a plain string value is refused; back to none, anything goes.
            let refused = try await call(.post, "/v3/clusters/canon/topics/plain/records", #"{"value":{"type":"STRING","data":"hello"}}"#)
            #expect(refused.status == 422 && refused.code == 42291)
            _ = try await call(.put, "/v3/clusters/canon/topics/plain/configs/value.schema.validation", #"{"value":"none"}"#)
            let produced = try await call(
                .post, "/v3/clusters/canon/topics/plain/records",
                #"{"partition_id":1,"key":{"type":"STRING","data":"k"},"value":{"type":"JSON","data":{"a":[1,2]}},"headers":[{"name":"h","value":"AQI="}],"timestamp":"1970-01-01T00:00:01.234Z"}"#
            )
            #expect(produced.status == 200 && produced.json["partition_id"] == .int(1) && produced.json["offset"] == .int(0))
            #expect(produced.json["value"] == .object(["type": .string("JSON"), "size": .int(11)]))
            let batch = try await call(
                .post, "/v3/clusters/canon/topics/plain/records:batch",
                #"{"entries":[{"partition_id":1,"value":{"type":"STRING","data":"x"}},{"partition_id":1,"value":{"type":"BINARY","data":"AAE="}}]}"#
            )
            #expect(batch.status == 200)
            let read = try await call(.get, "/v3/clusters/canon/topics/plain/partitions/1/records?offset=0&max_records=2", nil)
            guard case .array(let data)? = read.json["data"] else { Issue.record("no data"); return }
            #expect(data.count == 2 && read.json["next_offset"] == .int(2))
            #expect(
                data[0]["timestamp"] == .string("1970-01-01T00:00:01.234Z")
                    && data[0]["key"] == .object(["type": .string("BINARY"), "data": .string("aw==")]))
            #expect(data[0]["value"]?["data"] == .string(Data(#"{"a":[1,2]}"#.utf8).base64EncodedString()))
            #expect(data[0]["headers"] == .array([.object(["name": .string("h"), "value": .string("AQI=")])]))
            guard case .string(let metrics) = try await call(.get, "/metrics", nil).json else { Issue.record("no metrics"); return }
            #expect(metrics.contains(#"canon_records_accepted_total{topic="plain"} 3"#), "\(metrics)")
            #expect(metrics.contains(#"canon_records_refused_total{topic="plain",reason="42291"} 1"#))
            #expect(
                try await call(.post, "/v3/clusters/canon/topics/nope/records", #"{"value":{"type":"STRING","data":"x"}}"#).status == 404)
            #expect(
                try await call(.post, "/v3/clusters/canon/topics/nope/records", #"{"partition_id":0,"value":{"type":"STRING","data":"x"}}"#)
                    .status == 404)
            #expect(try await call(.post, "/v3/clusters/canon/topics/plain/records", #"{"value":"hello"}"#).status == 400)
            #expect(
                try await call(
                    .post, "/v3/clusters/canon/topics/plain/records", #"{"partition_id":7,"value":{"type":"STRING","data":"x"}}"#
                ).status == 404)
            #expect(try await call(.delete, "/v3/clusters/canon/topics/plain", nil).status == 204)
            #expect(try await call(.get, "/v3/clusters/canon/topics/plain", nil).status == 404)
        }
    }

    /// `canon serve` times validation (per partition's share of a batch) and every fdatasync of the log.
    @Test func validationAndFdatasyncLatenciesAreRecorded() async throws {
        let metrics = ServerMetrics()
        let catalog = SchemaCatalog()
        let fileSystem = TimedFileSystem(FaultInjectingFileSystem()) { metrics.fdatasync.recordNanoseconds($0) }
        let engine = try LogEngine(
            path: "/data", fileSystem: fileSystem, validator: TimedValidator(RegistryRecordValidator(catalog: catalog), metrics: metrics))
        try await engine.createTopic("t", partitions: 1)
        let before = metrics.text
        _ = try await engine.append(topic: "t", partition: 0, records: [LogRecord(key: nil, value: [1], timestamp: 0)])
        _ = try await engine.append(topic: "t", partition: 0, records: [LogRecord(key: nil, value: [2], timestamp: 0)])
        await engine.shutdown()
        func count(_ name: String, in text: String) -> Int {
            text.split(separator: "\n").first { $0.hasPrefix("\(name)_count") }.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        }
        #expect(count("canon_validation_seconds", in: metrics.text) - count("canon_validation_seconds", in: before) == 2, "\(metrics.text)")
        #expect(count("canon_log_fdatasync_seconds", in: metrics.text) > count("canon_log_fdatasync_seconds", in: before))
        #expect(
            metrics.text.contains(#"canon_validation_seconds_bucket{le="5e-06"}"#) || metrics.text.contains(#"le="0.000005""#),
            "\(metrics.text)")
    }

    /// Every route the server answers is in the OpenAPI description it serves.
    @Test func theOpenAPIDescriptionListsEveryRoute() async throws {
        try await withServer { call in
            guard case .string(let yaml) = try await call(.get, "/openapi.yaml", nil).json else { Issue.record("no YAML"); return }
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            var routes: [(method: String, path: String)] = []
            let folder = root.appendingPathComponent("Sources/CanonServer")
            let files =
                ["RegistryServer.swift"]
                + (try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("Routes").path)).map { "Routes/\($0)" }
            #expect(files.count == 5)
            for file in files {
                let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                let pattern = try NSRegularExpression(pattern: #"(?:router|routes)\.(get|post|put|delete)\("([^"]+)""#)
                for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                    routes.append((String(text[Range(match.range(at: 1), in: text)!]), String(text[Range(match.range(at: 2), in: text)!])))
                }
            }
            #expect(routes.count > 30)
            for (method, route) in routes {
                // Hummingbird's :name and ** become OpenAPI's {name} and {path}.
                let documented = route.replacingOccurrences(of: #"/:([a-z]+)"#, with: "/{$1}", options: .regularExpression)
                    .replacingOccurrences(of: "**", with: "{path}")
                guard let start = yaml.range(of: "\n  \"\(documented)\":\n") else {
                    Issue.record("\(route) is not in /openapi.yaml")
                    continue
                }
                // The path's operations run until the next path (a line indented by two spaces and a quote).
                let rest = yaml[start.upperBound...]
                let block = rest.range(of: "\n  \"").map { rest[..<$0.lowerBound] } ?? rest
                #expect(
                    block.hasPrefix("    \(method):") || block.contains("\n    \(method):"),
                    "\(method.uppercased()) \(route) is not in /openapi.yaml")
            }
            // And it is valid OpenAPI 3.0, by an independent validator.
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("canon-openapi-\(UUID().uuidString).yaml")
            try Data(yaml.utf8).write(to: file)
            let checked = try runProcess(
                python3(),
                [
                    "-c",
                    "import sys; from openapi_spec_validator import validate; from openapi_spec_validator.readers import read_from_filename; validate(read_from_filename(sys.argv[1])[0])",
                    file.path,
                ])
            #expect(checked.status == 0, "\(checked.stderr)")
        }
    }
}
