import CanonCore
import CanonLog
import CanonRegistry
import Foundation
import Hummingbird

/// Topics and records over HTTP, in Confluent REST Proxy v3's shapes where v3 has them (the one cluster
/// is `canon`), plus Canon's extensions (`records:batch`, reading records). Produced records pass the
/// log's validator (the topic's schema validation policy) before anything is written.
enum TopicRoutes {
    static let cluster = "canon"

    /// A v3 answer: `json` as `application/json`, or no body. Errors are thrown; the routes' group renders
    /// them (``APIErrorMiddleware``).
    static func v3(_ body: () async throws -> (HTTPResponse.Status, JSONValue?)) async throws -> Response {
        let (status, json) = try await body()
        guard let json else { return Response(status: status) }
        return RegistryServer.response(status: status, body: ByteBuffer(string: json.jsonText), contentType: "application/json")
    }

    static func topicJSON(_ topic: LogTopic) -> JSONValue {
        .object([
            "kind": .string("KafkaTopic"), "cluster_id": .string(cluster), "topic_name": .string(topic.name),
            "partitions_count": .int(Int64(topic.partitions)), "is_internal": .bool(false),
        ])
    }

    static func topicName(_ context: some RequestContext) -> String {
        let raw = context.parameters.get("topic") ?? ""
        return raw.removingPercentEncoding ?? raw
    }

    static func checkCluster(_ context: some RequestContext) throws {
        guard context.parameters.get("cluster") == cluster else {
            throw APIError(
                .notFound, 40401, "Cluster \(context.parameters.get("cluster") ?? "") not found; the one cluster is '\(cluster)'")
        }
    }

    static func collection(log: any RecordLog, registry: Registry, limit: Int, responseBudget: Int, metrics: ServerMetrics)
        -> RouteCollection<
            BasicRequestContext
        >
    {
        let router = RouteCollection(context: BasicRequestContext.self)
        /// The methods each path takes: every route is registered through `on`, so the 405s below cover
        /// exactly the methods no route takes.
        var allowed: [(path: String, methods: [HTTPRequest.Method])] = []
        func on(
            _ path: String, _ method: HTTPRequest.Method,
            _ handle: @escaping @Sendable (Request, BasicRequestContext) async throws -> Response
        ) {
            if let i = allowed.firstIndex(where: { $0.path == path }) {
                allowed[i].methods.append(method)
            } else {
                allowed.append((path, [method]))
            }
            router.on(RouterPath(path), method: method, use: handle)
        }
        /// Appends and counts accepted and refused records.
        @Sendable func append(_ log: any RecordLog, _ topic: String, _ records: [(LogRecord, Int?)]) async throws -> [(
            partition: Int, offset: Int64
        )] {
            do {
                let placed = try await TopicRoutes.append(log, topic, records)
                metrics.accepted(topic: topic, count: placed.count)
                return placed
            } catch let error as LogError where error.code == .invalidRecord {
                for r in error.rejections { metrics.refused(topic: topic, reason: r.code ?? 0) }
                throw error
            }
        }
        on("/v3/clusters", .get) { _, _ in
            try await v3 {
                (
                    .ok,
                    .object([
                        "kind": .string("KafkaClusterList"),
                        "data": .array([.object(["kind": .string("KafkaCluster"), "cluster_id": .string(cluster)])]),
                    ])
                )
            }
        }
        on("/v3/clusters/:cluster", .get) { _, context in
            try await v3 {
                try checkCluster(context)
                return (.ok, .object(["kind": .string("KafkaCluster"), "cluster_id": .string(cluster)]))
            }
        }
        on("/v3/clusters/:cluster/topics", .get) { _, context in
            try await v3 {
                try checkCluster(context)
                let topics = try await log.topics().filter { !TopicName.isInternal($0.name) }
                return (.ok, .object(["kind": .string("KafkaTopicList"), "data": .array(topics.map(topicJSON))]))
            }
        }
        on("/v3/clusters/:cluster/topics", .post) { request, context in
            try await v3 {
                try checkCluster(context)
                let json = try await RegistryServer.body(request, limit: limit)
                guard let name = json["topic_name"]?.stringValue else {
                    throw APIError(.badRequest, 40002, "the request needs a 'topic_name'")
                }
                let partitions = Int(
                    try RequestNumbers.integer(json["partitions_count"], field: "partitions_count", in: 1...Int64(Int32.max)) ?? 1)
                var settings: [String: String] = [:]
                if case .array(let configs)? = json["configs"] {
                    for c in configs {
                        guard let key = c["name"]?.stringValue, let value = c["value"]?.stringValue else {
                            throw APIError(.badRequest, 40002, "each config needs a 'name' and a string 'value'")
                        }
                        try TopicValidationPolicy.checkSettingName(key)
                        settings[key] = value
                    }
                }
                _ = try TopicValidationPolicy(settings: settings)  // refuse bad validation settings up front
                let configuration = try TopicConfiguration(settings)
                let topic = try await log.createTopic(name, partitions: partitions, configuration: configuration)
                return (.created, topicJSON(topic))
            }
        }
        on("/v3/clusters/:cluster/topics/:topic", .get) { _, context in
            try await v3 {
                try checkCluster(context)
                let name = topicName(context)
                guard let topic = try await log.topic(name), !TopicName.isInternal(name) else {
                    throw APIError(.notFound, 40403, "This server does not host this topic-partition.")
                }
                return (.ok, topicJSON(topic))
            }
        }
        on("/v3/clusters/:cluster/topics/:topic", .delete) { _, context in
            try await v3 {
                try checkCluster(context)
                let name = topicName(context)
                try await log.deleteTopic(name)
                return (.noContent, nil)
            }
        }
        @Sendable func configJSON(_ topic: String, _ name: String, _ value: String) -> JSONValue {
            .object([
                "kind": .string("KafkaTopicConfig"), "cluster_id": .string(cluster), "topic_name": .string(topic), "name": .string(name),
                "value": .string(value),
            ])
        }
        on("/v3/clusters/:cluster/topics/:topic/configs", .get) { _, context in
            try await v3 {
                try checkCluster(context)
                let name = topicName(context)
                guard let topic = try await log.topic(name), !TopicName.isInternal(name) else {
                    throw APIError(.notFound, 40403, "Unknown topic '\(name)'")
                }
                let settings = topic.configuration.settings.sorted { $0.key < $1.key }
                return (
                    .ok,
                    .object(["kind": .string("KafkaTopicConfigList"), "data": .array(settings.map { configJSON(name, $0.key, $0.value) })])
                )
            }
        }
        on("/v3/clusters/:cluster/topics/:topic/configs/:name", .get) { _, context in
            try await v3 {
                try checkCluster(context)
                let name = topicName(context), setting = context.parameters.get("name") ?? ""
                guard let topic = try await log.topic(name), !TopicName.isInternal(name) else {
                    throw APIError(.notFound, 40403, "Unknown topic '\(name)'")
                }
                guard let value = topic.configuration.settings[setting] else {
                    throw APIError(.notFound, 40404, "Unknown config '\(setting)' of topic '\(name)'")
                }
                return (.ok, configJSON(name, setting, value))
            }
        }
        on("/v3/clusters/:cluster/topics/:topic/configs/:name", .put) { request, context in
            try await v3 {
                try checkCluster(context)
                let name = topicName(context), setting = context.parameters.get("name") ?? ""
                guard let value = try await RegistryServer.body(request, limit: limit)["value"]?.stringValue else {
                    throw APIError(.badRequest, 40002, "the request needs a string 'value'")
                }
                try TopicValidationPolicy.checkSettingName(setting)
                _ = try TopicValidationPolicy(settings: [setting: value])
                try await log.setConfiguration(topic: name, setting, value)
                return (.noContent, nil)
            }
        }

        on("/v3/clusters/:cluster/topics/:topic/records", .post) { request, context in
            try await v3 {
                try checkCluster(context)
                let name = topicName(context)
                let entry = try await RegistryServer.body(request, limit: limit)
                let (record, partition, parts) = try await makeRecord(entry, registry: registry)
                let placed = try await append(log, name, [(record, partition)])
                return (.ok, resultJSON(name, placed[0], record, parts))
            }
        }
        on("/v3/clusters/:cluster/topics/:topic/records:batch", .post) { request, context in
            try await v3 {
                try checkCluster(context)
                let name = topicName(context)
                guard case .array(let entries)? = try await RegistryServer.body(request, limit: limit)["entries"], !entries.isEmpty else {
                    throw APIError(.badRequest, 40002, "the request needs a non-empty 'entries' array")
                }
                var records: [(LogRecord, Int?, (String?, String?))] = []
                // Entries whose AVRO data does not fit its schema are all listed, with their index (the
                // encoder does not know an entry's place); a malformed entry stops the request at once.
                var refused: [JSONValue] = []
                var firstRefusal: APIError?
                for (index, entry) in entries.enumerated() {
                    do {
                        records.append(try await makeRecord(entry, registry: registry))
                    } catch let error as APIError where error.status == .unprocessableContent {
                        if case .array(let errors)? = error.body["errors"] {
                            for case .object(var e) in errors {
                                e["index"] = .int(Int64(index))
                                refused.append(.object(e))
                            }
                        }
                        firstRefusal = firstRefusal ?? error
                    }
                }
                if let firstRefusal {
                    throw APIError(
                        .unprocessableContent, Int(firstRefusal.body["error_code"]?.int64Value ?? 42294),
                        "\(refused.count) of \(entries.count) record(s) could not be encoded with their schema, nothing written",
                        errors: refused)
                }
                let placed = try await append(log, name, records.map { ($0.0, $0.1) })
                return (
                    .ok, .object(["error_code": .int(200), "data": .array(zip(placed, records).map { resultJSON(name, $0, $1.0, $1.2) })])
                )
            }
        }
        on("/v3/clusters/:cluster/topics/:topic/partitions/:partition/records", .get) { request, context in
            try await v3 {
                try checkCluster(context)
                let name = topicName(context)
                guard !TopicName.isInternal(name) else { throw APIError(.notFound, 40403, "Unknown topic '\(name)'") }
                let partition = Int(
                    try RequestNumbers.integer(context.parameters.get("partition"), field: "partition", in: RequestNumbers.partitions) ?? -1
                )
                let offset = try RequestNumbers.integer(request.uri.queryParameters.get("offset"), field: "offset", in: 0...Int64.max) ?? 0
                let asked = try RequestNumbers.integer(
                    request.uri.queryParameters.get("max_records"), field: "max_records", in: 1...Int64.max)
                let maximum = Int(min(10_000, asked ?? 100))
                let avroJSON = request.uri.queryParameters.get("format") == "avro-json"
                let batches = try await log.read(topic: name, partition: partition, from: offset, maxBytes: 4 << 20)
                var data: [JSONValue] = []
                var next = offset
                let snapshot = registry.catalog.snapshot
                let formats = registry.configuration.formats
                // The answer is bounded by what it writes, not by what is stored: a few stored bytes can
                // decode to megabytes of JSON.
                var budget = responseBudget
                var truncated = false
                outer: for batch in batches {
                    for (at, record) in batch.recordsWithOffsets where at >= offset {
                        if data.count >= maximum { break outer }
                        let entry = JSONValue.object([
                            "partition_id": .int(Int64(partition)), "offset": .int(at),
                            "timestamp": .string(iso8601(millis: record.timestamp)),
                            "key": part(record.key, avroJSON, snapshot, formats, budget: responseBudget),
                            "value": part(record.value, avroJSON, snapshot, formats, budget: responseBudget),
                            "headers": .array(
                                record.headers.map {
                                    .object([
                                        "name": .string($0.key), "value": $0.value.map { .string(Data($0).base64EncodedString()) } ?? .null,
                                    ])
                                }),
                        ])
                        let size = entry.jsonText.utf8.count
                        if size > budget && !data.isEmpty {
                            truncated = true
                            break outer
                        }
                        budget -= size
                        data.append(entry)
                        next = at + 1
                    }
                }
                var answer: JSONObject = ["data": .array(data), "next_offset": .int(next)]
                if truncated {
                    answer["truncated"] = .string(
                        "the answer stopped at \(responseBudget) bytes (the server's response limit); read on from next_offset")
                }
                return (.ok, .object(answer))
            }
        }
        // A known path with a method it does not take: 405 with a JSON body and `Allow`, not an empty 404.
        for (path, methods) in allowed {
            let allow = methods.map(\.rawValue).joined(separator: ", ")
            for method in [HTTPRequest.Method.get, .post, .put, .delete, .patch] where !methods.contains(method) {
                router.on(RouterPath(path), method: method) { _, _ -> Response in
                    throw APIError(
                        .methodNotAllowed, 40501, "\(method.rawValue) is not allowed on \(path); it takes \(allow)", allow: allow)
                }
            }
        }
        return router
    }

    /// Appends records; an explicit partition (all the same) or the partitioner.
    static func append(_ log: any RecordLog, _ topic: String, _ records: [(LogRecord, Int?)]) async throws -> [(
        partition: Int, offset: Int64
    )] {
        let partitions = Set(records.map(\.1))
        if partitions.count == 1, let partition = partitions.first! {
            return try await log.append(topic: topic, partition: partition, records: records.map(\.0))
        }
        guard partitions == [nil] else {
            throw APIError(.badRequest, 40002, "in one batch, either every entry names the same partition_id or none does")
        }
        return try await log.append(topic: topic, records: records.map(\.0))
    }

    static func resultJSON(_ topic: String, _ placed: (partition: Int, offset: Int64), _ record: LogRecord, _ types: (String?, String?))
        -> JSONValue
    {
        func summary(_ bytes: [UInt8]?, _ type: String?) -> JSONValue {
            guard let bytes else { return .null }
            return .object(["type": .string(type ?? "BINARY"), "size": .int(Int64(bytes.count))])
        }
        return .object([
            "error_code": .int(200), "cluster_id": .string(cluster), "topic_name": .string(topic),
            "partition_id": .int(Int64(placed.partition)),
            "offset": .int(placed.offset), "timestamp": .string(iso8601(millis: record.timestamp)),
            "key": summary(record.key, types.0), "value": summary(record.value, types.1),
        ])
    }

    /// A key or value as the read answers it: with `format=avro-json` and a registered Confluent frame,
    /// decoded to JSON with the writer schema, in its format (within `budget` bytes of decoded values, so
    /// one record's memory is bounded; a larger one is a marker naming the limit); else BINARY base64.
    static func part(_ bytes: [UInt8]?, _ decode: Bool, _ snapshot: SchemaCatalog.Snapshot, _ formats: SchemaFormats, budget: Int)
        -> JSONValue
    {
        guard let bytes else { return .null }
        if decode, bytes.count >= 5, bytes[0] == 0 {
            let id = ConfluentFraming.schemaID(bytes)
            if let schema = snapshot.schemas[id]?.schema, let format = formats[schema.type] {
                do {
                    let json = try schema.decodeJSON(bytes, from: 5, limits: PayloadLimits(maxTotalSize: max(budget, 0)))
                    return .object(["type": .string(format.restProxyName), "schema_id": .int(Int64(id)), "data": json])
                } catch  where error.isLimit {
                    return .object([
                        "type": .string(format.restProxyName), "schema_id": .int(Int64(id)),
                        "error": .string(
                            "decoded, this \(bytes.count)-byte record exceeds the response limit: \(error.message); read it without format=avro-json"
                        ),
                    ])
                } catch {}
            }
        }
        return .object(["type": .string("BINARY"), "data": .string(Data(bytes).base64EncodedString())])
    }

    /// v3's date-time form, made once (a value type, unlike `ISO8601DateFormatter`).
    static let iso8601Fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    static let iso8601Whole = Date.ISO8601FormatStyle()

    static func iso8601(_ text: String) -> Date? {
        (try? Date(text, strategy: iso8601Fractional)) ?? (try? Date(text, strategy: iso8601Whole))
    }

    /// Milliseconds since the epoch as v3's ISO-8601 date-time. The milliseconds are written from the
    /// integer: a `Date` (a `Double` from 2001) would turn 1.234 s into 1.233.
    static func iso8601(millis: Int64) -> String {
        let (seconds, remainder) = (millis.quotientAndRemainder(dividingBy: 1000))
        let (whole, ms) = remainder < 0 ? (seconds - 1, remainder + 1000) : (seconds, remainder)
        let text = Date(timeIntervalSince1970: Double(whole)).formatted(iso8601Whole)
        return text.dropLast() + "." + String(String(ms + 1000).dropFirst()) + "Z"
    }

    /// A record from a v3 produce entry: `partition_id?`, `headers?`, `key?`, `value?`, `timestamp?`.
    static func makeRecord(_ entry: JSONValue, registry: Registry) async throws -> (LogRecord, Int?, (String?, String?)) {
        guard case .object = entry else { throw APIError(.badRequest, 40002, "a record entry must be a JSON object") }
        let partition = try RequestNumbers.integer(entry["partition_id"], field: "partition_id", in: RequestNumbers.partitions).map {
            Int($0)
        }
        let (key, keyType) = try await data(entry["key"], part: "key", registry: registry)
        let (value, valueType) = try await data(entry["value"], part: "value", registry: registry)
        var headers: [LogHeader] = []
        if case .array(let items)? = entry["headers"] {
            for h in items {
                guard let name = h["name"]?.stringValue else { throw APIError(.badRequest, 40002, "a header needs a 'name'") }
                var bytes: [UInt8]?
                if let text = h["value"]?.stringValue {
                    guard let decoded = Data(base64Encoded: text) else {
                        throw APIError(.badRequest, 40002, "header '\(name)' value is not base64")
                    }
                    bytes = Array(decoded)
                }
                headers.append(LogHeader(key: name, value: bytes))
            }
        }
        let timestamp: Int64
        switch entry["timestamp"] {
        case nil, .null?: timestamp = LogDirectory.currentTimeMillis()
        case .string(let text)?:
            // v3 sends ISO-8601 date-times.
            guard let date = iso8601(text) else { throw APIError(.badRequest, 40002, "timestamp '\(text)' is not an ISO-8601 date-time") }
            timestamp = Int64((date.timeIntervalSince1970 * 1000).rounded())
        case let value?:
            guard let ms = value.int64Value else {
                throw APIError(.badRequest, 40002, "timestamp must be an ISO-8601 string or milliseconds")
            }
            timestamp = ms
        }
        return (LogRecord(key: key, value: value, timestamp: timestamp, headers: headers), partition, (keyType, valueType))
    }

    /// The bytes of a key or value: BINARY (base64 of the client's own bytes), JSON, STRING, or a served
    /// format's REST Proxy name (`AVRO`: encoded here with a registered schema and framed in the Confluent
    /// wire format).
    static func data(_ json: JSONValue?, part: String, registry: Registry) async throws -> ([UInt8]?, String?) {
        guard let json, json != .null else { return (nil, nil) }
        guard case .object = json else { throw APIError(.badRequest, 40002, "\(part) must be an object {\"type\", \"data\"} or null") }
        let type = json["type"]?.stringValue?.uppercased() ?? "JSON"
        let data = json["data"]
        switch type {
        case "BINARY":
            guard let text = data?.stringValue, let bytes = Data(base64Encoded: text) else {
                throw APIError(.badRequest, 40002, "\(part): BINARY data must be a base64 string")
            }
            return (Array(bytes), type)
        case "JSON":
            return (Array((data ?? .null).jsonText.utf8), type)
        case "STRING":
            guard let text = data?.stringValue else { throw APIError(.badRequest, 40002, "\(part): STRING data must be a string") }
            return (Array(text.utf8), type)
        default:
            guard let format = registry.configuration.formats.format(restProxyName: type) else {
                let names = registry.configuration.formats.types.compactMap { registry.configuration.formats[$0]?.restProxyName }
                throw APIError(
                    .badRequest, 40002,
                    "\(part): unknown type '\(type)' (\((["BINARY", "JSON", "STRING"] + names).joined(separator: ", ")))")
            }
            let id: Int32
            if let given = try RequestNumbers.integer(json["schema_id"], field: "schema_id", in: 0...Int64(Int32.max)).map({ Int32($0) }) {
                _ = try await registry.schema(id: given)
                id = given
            } else if let subject = json["subject"]?.stringValue {
                let spec =
                    try json["schema_version"].map { (v: JSONValue) throws(RegistryError) -> Registry.VersionSpec in
                        try Registry.VersionSpec(v.int64Value.map(String.init) ?? v.stringValue ?? "")
                    } ?? .latest
                id = try await registry.version(spec, of: subject).id
            } else {
                throw APIError(.badRequest, 40002, "\(part): \(type) data needs a 'schema_id' or a 'subject'")
            }
            guard let schema = registry.catalog.snapshot.schemas[id]?.schema else { throw RegistryError.schemaNotFound("\(id)") }
            guard schema.type == format.type else {
                throw APIError(.badRequest, 40002, "\(part): schema \(id) is \(schema.type), not \(type)")
            }
            do {
                return (ConfluentFraming.prefix(schemaID: id) + (try schema.encode(json: data ?? .null)), type)
            } catch {
                throw APIError(
                    .unprocessableContent, RegistryRecordValidator.ReasonCode.payload,
                    "\(part): the data does not match schema \(id): \(error)",
                    errors: [
                        .object(
                            JSONObject(
                                [
                                    (key: "index", value: .int(0)), (key: "part", value: .string(part)),
                                    (key: "schema_id", value: .int(Int64(id))), (key: "reason", value: .string("\(error)")),
                                ] + ((error as? PayloadError)?.path.map { [(key: "path", value: JSONValue.string($0))] } ?? [])))
                    ])
            }
        }
    }
}
