import CanonCore

/// The OpenAPI description of the server's API, served at `GET /openapi.yaml`: a table of routes
/// rendered once (path parameters declared, every text a quoted scalar), kept in step with the router
/// by a test.
enum OpenAPI {
    struct Route {
        let path: String
        let method: String
        let summary: String
        let responses: [(code: String, description: String)]

        init(_ path: String, _ method: String, _ summary: String, _ responses: [(String, String)]) {
            self.path = path
            self.method = method
            self.summary = summary
            self.responses = responses.map { (code: $0.0, description: $0.1) }
        }
    }

    static let description =
        "Canon's HTTP API: Confluent Schema Registry 7.9's REST API (schemas in the formats GET /schemas/types lists), and topics and records in Confluent REST Proxy v3's shapes (one cluster, `canon`). No authentication: bind to loopback or put a proxy in front. Registry errors are {\"error_code\", \"message\"} with Confluent's codes; refused records are HTTP 422 with {\"error_code\" (42291-42296), \"message\", \"errors\": [...]}. Canon extensions are marked (extension)."

    static let routes: [Route] = [
        Route("/", "get", "Root", [("200", "{}")]),
        Route("/health", "get", "Health (503 when the registry's store stopped taking events)", [("200", "UP"), ("503", "DOWN")]),
        Route("/metrics", "get", "Prometheus metrics", [("200", "text exposition")]),
        Route("/openapi.yaml", "get", "This description", [("200", "YAML")]),
        Route(
            "/schemas", "get", "Schemas (subjectPrefix, deleted, latestOnly, offset, limit)", [("200", "[{subject, version, id, schema}]")]),
        Route("/schemas/types", "get", "Supported schema types", [("200", "[\"AVRO\"]")]),
        Route("/schemas/ids/{id}", "get", "The schema an ID denotes", [("200", "{schema, references?}"), ("404", "40403")]),
        Route("/schemas/ids/{id}/schema", "get", "The raw schema", [("200", "schema JSON"), ("404", "40403")]),
        Route("/schemas/ids/{id}/subjects", "get", "Subjects using an ID (deleted, offset, limit)", [("200", "[subject]")]),
        Route(
            "/schemas/ids/{id}/versions", "get", "Subject/version pairs using an ID (deleted, offset, limit)",
            [("200", "[{subject, version}]")]),
        Route("/subjects", "get", "Subjects (subjectPrefix, deleted, deletedOnly, offset, limit)", [("200", "[subject]")]),
        Route(
            "/subjects/{subject}", "post", "Look a schema up in a subject (normalize, deleted)",
            [("200", "{subject, version, id, schema}"), ("404", "40401 or 40403")]),
        Route(
            "/subjects/{subject}", "delete", "Delete a subject (permanent)",
            [("200", "[version]"), ("404", "40401, 40404, 40405"), ("422", "42205, 42206")]),
        Route("/subjects/{subject}/versions", "get", "Versions (deleted, deletedOnly, offset, limit)", [("200", "[version]")]),
        Route(
            "/subjects/{subject}/versions", "post", "Register (normalize; id and version in IMPORT mode)",
            [
                ("200", "{id, version, schemaType, schema}"), ("409", "incompatible (error_code 409)"),
                ("422", "42201, 42205, 42207, 42208, 42209"), ("413", "body too large"),
            ]),
        Route(
            "/subjects/{subject}/versions/{version}", "get", "A version (number, latest or -1; deleted)",
            [("200", "{subject, version, id, schema}"), ("404", "40401, 40402"), ("422", "42202")]),
        Route(
            "/subjects/{subject}/versions/{version}", "delete", "Delete a version (permanent)",
            [("200", "version"), ("404", "40406, 40407"), ("422", "42206")]),
        Route("/subjects/{subject}/versions/{version}/schema", "get", "The raw schema of a version", [("200", "schema JSON")]),
        Route("/subjects/{subject}/versions/{version}/referencedby", "get", "IDs referencing a version", [("200", "[id]")]),
        Route(
            "/compatibility/subjects/{subject}/versions/{version}", "post", "Check against one version (verbose)",
            [("200", "{is_compatible, messages?}")]),
        Route(
            "/compatibility/subjects/{subject}/versions", "post", "Check against the versions the level names (verbose)",
            [("200", "{is_compatible, messages?}")]),
        Route("/config", "get", "Global level and policy", [("200", "{compatibilityLevel, compatibilityPolicy?}")]),
        Route(
            "/config", "put", "Set the global level and/or policy: {compatibility?, compatibilityPolicy?}",
            [("200", "{compatibility?, compatibilityPolicy?}"), ("422", "42203")]),
        Route("/config", "delete", "Remove the global level (returns the old one)", [("200", "{compatibilityLevel}")]),
        Route(
            "/config/{subject}", "get", "A subject's level and policy (defaultToGlobal)",
            [("200", "{compatibilityLevel?, compatibilityPolicy?}"), ("404", "40408")]),
        Route(
            "/config/{subject}", "put", "Set a subject's level and/or policy (STRICT, LENIENT)",
            [("200", "{compatibility?, compatibilityPolicy?}")]),
        Route("/config/{subject}", "delete", "Remove a subject's level", [("200", "{compatibilityLevel}")]),
        Route("/mode", "get", "Global mode", [("200", "{mode}")]),
        Route("/mode", "put", "Set the global mode (force for IMPORT with live subjects)", [("200", "{mode}"), ("422", "42204, 42205")]),
        Route("/mode", "delete", "Remove the global mode", [("200", "{mode}")]),
        Route("/mode/{subject}", "get", "A subject's mode (defaultToGlobal)", [("200", "{mode}"), ("404", "40409")]),
        Route("/mode/{subject}", "put", "Set a subject's mode", [("200", "{mode}")]),
        Route("/mode/{subject}", "delete", "Remove a subject's mode", [("200", "{mode}")]),
        Route("/associations/{path}", "get", "Not supported (confluent-kafka falls back to topic naming)", [("404", "40410")]),
        Route("/v3/clusters", "get", "Clusters (one, canon)", [("200", "KafkaClusterList")]),
        Route("/v3/clusters/{cluster}", "get", "The cluster", [("200", "KafkaCluster")]),
        Route("/v3/clusters/{cluster}/topics", "get", "Topics (internal ones hidden)", [("200", "KafkaTopicList")]),
        Route(
            "/v3/clusters/{cluster}/topics", "post",
            "Create a topic: {topic_name, partitions_count, configs: [{name, value}]}. Settings include value.schema.validation / key.schema.validation (none, id, full), *.subject.name.strategy (topic, record, topic-record or a strategy class name), value.tombstones (allow, reject), schema.versions (any, latest), and Confluent's and Redpanda's aliases.",
            [("201", "KafkaTopic"), ("400", "40002 (exists, bad name or setting)")]),
        Route("/v3/clusters/{cluster}/topics/{topic}", "get", "A topic", [("200", "KafkaTopic"), ("404", "40403")]),
        Route("/v3/clusters/{cluster}/topics/{topic}", "delete", "Delete a topic", [("204", "deleted")]),
        Route("/v3/clusters/{cluster}/topics/{topic}/configs", "get", "A topic's settings", [("200", "KafkaTopicConfigList")]),
        Route("/v3/clusters/{cluster}/topics/{topic}/configs/{name}", "get", "One setting", [("200", "KafkaTopicConfig")]),
        Route("/v3/clusters/{cluster}/topics/{topic}/configs/{name}", "put", "Change one setting: {value}", [("204", "changed")]),
        Route(
            "/v3/clusters/{cluster}/topics/{topic}/records", "post",
            "Produce one record: {partition_id?, headers?: [{name, value (base64)}], key?, value?, timestamp?}; key and value as {type: BINARY, data: base64} (the client's own wire-format bytes, validated), {type: JSON, data}, {type: STRING, data} or {type: AVRO | JSONSCHEMA (a served format's REST Proxy name), schema_id | subject [+ schema_version], data: the value as JSON} (encoded and framed by the server).",
            [
                (
                    "200",
                    "{error_code: 200, cluster_id, topic_name, partition_id, offset, timestamp, key: {type, size}, value: {type, size}}"
                ),
                (
                    "422",
                    "refused: {error_code: 42291 wire format | 42292 unknown schema ID | 42293 wrong subject or not latest | 42294 payload | 42295 tombstone | 42296 settings, message, errors: [{index, part, schema_id, path, byte_offset, reason}]}"
                ),
            ]),
        Route(
            "/v3/clusters/{cluster}/topics/{topic}/records:batch", "post",
            "(extension) Produce {entries: [...]}, all or nothing: one refused record refuses the batch and errors lists every refused entry",
            [("200", "{error_code: 200, data: [...]}"), ("422", "refused")]),
        Route(
            "/v3/clusters/{cluster}/topics/{topic}/partitions/{partition}/records", "get",
            "(extension) Read records (offset, max_records, format raw or avro-json)",
            [("200", "{data: [{partition_id, offset, timestamp, key, value, headers}], next_offset}")]),
    ]

    static let yaml: String = {
        func quoted(_ text: String) -> String { JSONValue.string(text).jsonText }  // JSON strings are YAML double-quoted scalars
        var out = ["openapi: 3.0.3", "info:", "  title: Canon", "  version: \"1\"", "  description: \(quoted(description))", "paths:"]
        var seen: [String] = []
        for route in routes where !seen.contains(route.path) { seen.append(route.path) }
        for path in seen {
            out.append("  \(quoted(path)):")
            let parameters = path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().prefix { $0 != "}" }) }
            if !parameters.isEmpty {
                out.append("    parameters:")
                for name in parameters {
                    out.append("      - {name: \(quoted(name)), in: path, required: true, schema: {type: string}}")
                }
            }
            for route in routes where route.path == path {
                out.append("    \(route.method):")
                out.append("      summary: \(quoted(route.summary))")
                out.append("      responses:")
                for response in route.responses {
                    out.append("        \(quoted(response.code)): {description: \(quoted(response.description))}")
                }
            }
        }
        return out.joined(separator: "\n") + "\n"
    }()
}
