/// The OpenAPI description of the server's API, served at `GET /openapi.yaml`.
enum OpenAPI {
    static let yaml = """
    openapi: 3.0.3
    info:
      title: Canon
      version: "1"
      description: |
        Canon's HTTP API: Confluent Schema Registry 7.9's REST API (Avro schemas), and topics and records
        in Confluent REST Proxy v3's shapes (one cluster, `canon`). No authentication: bind to loopback or
        put a proxy in front. Registry errors are {"error_code", "message"} with Confluent's codes;
        refused records are HTTP 422 with {"error_code" (42291-42296), "message", "errors": [...]}.
        Canon extensions are marked (extension).
    paths:
      /:
        get: {summary: Root, responses: {"200": {description: "{}"}}}
      /health:
        get: {summary: Health (503 when the registry's store stopped taking events), responses: {"200": {description: UP}, "503": {description: DOWN}}}
      /metrics:
        get: {summary: Prometheus metrics, responses: {"200": {description: text exposition}}}
      /openapi.yaml:
        get: {summary: This description, responses: {"200": {description: YAML}}}
      /schemas:
        get:
          summary: Schemas (subjectPrefix, deleted, latestOnly, offset, limit)
          responses: {"200": {description: "[{subject, version, id, schema}]"}}
      /schemas/types:
        get: {summary: Supported schema types, responses: {"200": {description: '["AVRO"]'}}}
      /schemas/ids/{id}:
        get: {summary: The schema an ID denotes, responses: {"200": {description: "{schema, references?}"}, "404": {description: 40403}}}
      /schemas/ids/{id}/schema:
        get: {summary: The raw schema, responses: {"200": {description: schema JSON}, "404": {description: 40403}}}
      /schemas/ids/{id}/subjects:
        get: {summary: Subjects using an ID (deleted, offset, limit), responses: {"200": {description: "[subject]"}}}
      /schemas/ids/{id}/versions:
        get: {summary: Subject/version pairs using an ID (deleted, offset, limit), responses: {"200": {description: "[{subject, version}]"}}}
      /subjects:
        get: {summary: Subjects (subjectPrefix, deleted, deletedOnly, offset, limit), responses: {"200": {description: "[subject]"}}}
      /subjects/{subject}:
        post: {summary: Look a schema up in a subject (normalize, deleted), responses: {"200": {description: "{subject, version, id, schema}"}, "404": {description: 40401 or 40403}}}
        delete: {summary: Delete a subject (permanent), responses: {"200": {description: "[version]"}, "404": {description: 40401, 40404, 40405}, "422": {description: 42205, 42206}}}
      /subjects/{subject}/versions:
        get: {summary: Versions (deleted, deletedOnly, offset, limit), responses: {"200": {description: "[version]"}}}
        post: {summary: Register (normalize; id and version in IMPORT mode), responses: {"200": {description: "{id, version, schemaType, schema}"}, "409": {description: incompatible (error_code 409)}, "422": {description: 42201, 42205, 42207, 42208, 42209}, "413": {description: body too large}}}
      /subjects/{subject}/versions/{version}:
        get: {summary: A version (number, latest or -1; deleted), responses: {"200": {description: "{subject, version, id, schema}"}, "404": {description: 40401, 40402}, "422": {description: 42202}}}
        delete: {summary: Delete a version (permanent), responses: {"200": {description: version}, "404": {description: 40406, 40407}, "422": {description: 42206}}}
      /subjects/{subject}/versions/{version}/schema:
        get: {summary: The raw schema of a version, responses: {"200": {description: schema JSON}}}
      /subjects/{subject}/versions/{version}/referencedby:
        get: {summary: IDs referencing a version, responses: {"200": {description: "[id]"}}}
      /compatibility/subjects/{subject}/versions/{version}:
        post: {summary: Check against one version (verbose), responses: {"200": {description: "{is_compatible, messages?}"}}}
      /compatibility/subjects/{subject}/versions:
        post: {summary: Check against the versions the level names (verbose), responses: {"200": {description: "{is_compatible, messages?}"}}}
      /config:
        get: {summary: Global level, responses: {"200": {description: "{compatibilityLevel}"}}}
        put: {summary: Set the global level, responses: {"200": {description: "{compatibility}"}, "422": {description: 42203}}}
        delete: {summary: Remove the global level (returns the old one), responses: {"200": {description: "{compatibilityLevel}"}}}
      /config/{subject}:
        get: {summary: A subject's level (defaultToGlobal), responses: {"200": {description: "{compatibilityLevel}"}, "404": {description: 40408}}}
        put: {summary: Set a subject's level, responses: {"200": {description: "{compatibility}"}}}
        delete: {summary: Remove a subject's level, responses: {"200": {description: "{compatibilityLevel}"}}}
      /mode:
        get: {summary: Global mode, responses: {"200": {description: "{mode}"}}}
        put: {summary: Set the global mode (force for IMPORT with live subjects), responses: {"200": {description: "{mode}"}, "422": {description: 42204, 42205}}}
        delete: {summary: Remove the global mode, responses: {"200": {description: "{mode}"}}}
      /mode/{subject}:
        get: {summary: A subject's mode (defaultToGlobal), responses: {"200": {description: "{mode}"}, "404": {description: 40409}}}
        put: {summary: Set a subject's mode, responses: {"200": {description: "{mode}"}}}
        delete: {summary: Remove a subject's mode, responses: {"200": {description: "{mode}"}}}
      /associations/{path}:
        get: {summary: Not supported (confluent-kafka falls back to topic naming), responses: {"404": {description: 40410}}}
      /v3/clusters:
        get: {summary: Clusters (one, canon), responses: {"200": {description: KafkaClusterList}}}
      /v3/clusters/{cluster}:
        get: {summary: The cluster, responses: {"200": {description: KafkaCluster}}}
      /v3/clusters/{cluster}/topics:
        get: {summary: Topics (internal ones hidden), responses: {"200": {description: KafkaTopicList}}}
        post:
          summary: "Create a topic: {topic_name, partitions_count, configs: [{name, value}]}. Settings include value.schema.validation / key.schema.validation (none, id, full), *.subject.name.strategy (topic, record, topic-record or a strategy class name), value.tombstones (allow, reject), schema.versions (any, latest), and Confluent's and Redpanda's aliases."
          responses: {"201": {description: KafkaTopic}, "400": {description: 40002 (exists, bad name or setting)}}
      /v3/clusters/{cluster}/topics/{topic}:
        get: {summary: A topic, responses: {"200": {description: KafkaTopic}, "404": {description: 40403}}}
        delete: {summary: Delete a topic, responses: {"204": {description: deleted}}}
      /v3/clusters/{cluster}/topics/{topic}/configs:
        get: {summary: A topic's settings, responses: {"200": {description: KafkaTopicConfigList}}}
      /v3/clusters/{cluster}/topics/{topic}/configs/{name}:
        get: {summary: One setting, responses: {"200": {description: KafkaTopicConfig}}}
        put: {summary: "Change one setting: {value}", responses: {"204": {description: changed}}}
      /v3/clusters/{cluster}/topics/{topic}/records:
        post:
          summary: "Produce one record: {partition_id?, headers?: [{name, value (base64)}], key?, value?, timestamp?}; key and value as {type: BINARY, data: base64} (the client's own wire-format bytes, validated), {type: JSON, data}, {type: STRING, data} or {type: AVRO, schema_id | subject [+ schema_version], data: Avro JSON} (encoded and framed by the server)."
          responses: {"200": {description: "{error_code: 200, cluster_id, topic_name, partition_id, offset, timestamp, key: {type, size}, value: {type, size}}"}, "422": {description: "refused: {error_code: 42291 wire format | 42292 unknown schema ID | 42293 wrong subject or not latest | 42294 payload | 42295 tombstone | 42296 settings, message, errors: [{index, part, schema_id, path, byte_offset, reason}]}"}}
      /v3/clusters/{cluster}/topics/{topic}/records:batch:
        post: {summary: "(extension) Produce {entries: [...]}, all or nothing: one refused record refuses the batch and errors lists every refused entry", responses: {"200": {description: "{error_code: 200, data: [...]}"}, "422": {description: refused}}}
      /v3/clusters/{cluster}/topics/{topic}/partitions/{partition}/records:
        get: {summary: "(extension) Read records (offset, max_records, format raw or avro-json)", responses: {"200": {description: "{data: [{partition_id, offset, timestamp, key, value, headers}], next_offset}"}}}
    """
}
