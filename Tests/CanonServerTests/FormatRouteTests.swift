import CanonAvro
import CanonCore
import CanonRegistry
import CanonTestSupport
import Testing

/// The server's routes hold schemas through the format seam: a format it was never written for is
/// listed, served, produced and consumed without a change to a route.
@Suite struct FormatRouteTests {
    static var configuration: Registry.Configuration {
        var configuration = Registry.Configuration()
        configuration.formats = SchemaFormats([AvroFormat(), WordsFormat()])  // no JSON: a set of one's own
        return configuration
    }

    @Test func schemaTypesListTheServedFormats() async throws {
        try await withServer { call in
            let types = try await call(.get, "/schemas/types", nil)
            #expect(types.json == .array([.string("AVRO"), .string("JSON"), .string("XSD")]))
        }
        try await withServer(registryConfiguration: Self.configuration) { call in
            let types = try await call(.get, "/schemas/types", nil)
            #expect(types.json == .array([.string("AVRO"), .string("WORDS")]))
        }
    }

    @Test func aPluggedInFormatIsRegisteredProducedAndConsumedThroughTheSameRoutes() async throws {
        try await withServer(registryConfiguration: Self.configuration) { call in
            let registered = try await call(
                .post, "/subjects/greeting-value/versions", #"{"schemaType":"WORDS","schema":"{\"name\":\"Greeting\",\"words\":[\"hi\"]}"}"#
            )
            #expect(registered.status == 200 && registered.json["schemaType"] == .string("WORDS"), "\(registered.json)")
            let id = registered.json["id"]!.int64Value!
            #expect(try await call(.get, "/schemas/ids/\(id)", nil).json["schemaType"] == .string("WORDS"))
            #expect(try await call(.get, "/subjects/greeting-value/versions/1", nil).json["schemaType"] == .string("WORDS"))
            #expect(
                try await call(
                    .post, "/v3/clusters/canon/topics",
                    #"{"topic_name":"greeting","configs":[{"name":"value.schema.validation","value":"full"}]}"#
                ).status == 201)
            // REST produce by the format's REST Proxy name: encoded by the format, framed, validated.
            let produced = try await call(
                .post, "/v3/clusters/canon/topics/greeting/records",
                #"{"value":{"type":"WORDSTEXT","subject":"greeting-value","data":"hi"}}"#)
            #expect(produced.status == 200, "\(produced.json)")
            let wrong = try await call(
                .post, "/v3/clusters/canon/topics/greeting/records", #"{"value":{"type":"WORDSTEXT","schema_id":\#(id),"data":"bye"}}"#)
            #expect(wrong.status == 422 && wrong.json["message"]?.stringValue?.contains("not a word of Greeting") == true, "\(wrong.json)")
            // An Avro type for a WORDS schema is refused, naming both.
            let mismatched = try await call(
                .post, "/v3/clusters/canon/topics/greeting/records", #"{"value":{"type":"AVRO","schema_id":\#(id),"data":"hi"}}"#)
            #expect(mismatched.status == 400 && mismatched.json["message"]?.stringValue?.contains("is WORDS, not AVRO") == true)
            // Consume decodes with the writer schema's format.
            let read = try await call(.get, "/v3/clusters/canon/topics/greeting/partitions/0/records?format=avro-json", nil)
            guard case .array(let data)? = read.json["data"], let first = data.first else { Issue.record("\(read.json)"); return }
            #expect(first["value"] == .object(["type": .string("WORDSTEXT"), "schema_id": .int(id), "data": .string("hi")]))
            // An unknown data type names the served ones.
            let unknown = try await call(.post, "/v3/clusters/canon/topics/greeting/records", #"{"value":{"type":"XML","data":"x"}}"#)
            #expect(
                unknown.status == 400 && unknown.json["message"]?.stringValue?.contains("BINARY, JSON, STRING, AVRO, WORDSTEXT") == true)
        }
    }
}

@Suite struct CompatibilityPolicyRouteTests {
    @Test func configTakesAndAnswersCompatibilityPolicy() async throws {
        try await withServer { call in
            let set = try await call(.put, "/config/s", #"{"compatibilityPolicy":"lenient"}"#)
            #expect(set.status == 200 && set.json == .object(["compatibilityPolicy": .string("LENIENT")]), "\(set.json)")
            let only = try await call(.get, "/config/s", nil)
            #expect(only.json == .object(["compatibilityPolicy": .string("LENIENT")]), "\(only.json)")
            let both = try await call(.put, "/config/s", #"{"compatibility":"FULL","compatibilityPolicy":"STRICT"}"#)
            #expect(both.json == .object(["compatibility": .string("FULL"), "compatibilityPolicy": .string("STRICT")]))
            #expect(try await call(.get, "/config/s", nil).json["compatibilityPolicy"] == .string("STRICT"))
            let bad = try await call(.put, "/config", #"{"compatibility":"NONE","compatibilityPolicy":"SLOPPY"}"#)
            #expect(bad.status == 422 && bad.json["error_code"] == .int(42203))
            // Nothing of a refused request is written: the level is still the default.
            let global = try await call(.get, "/config", nil)
            #expect(global.json == .object(["compatibilityLevel": .string("BACKWARD")]))
        }
    }
}

@Suite struct JSONProduceRouteTests {
    @Test func aRefusedJSONSchemaValueNamesTheInstancePathAndNaNIsNoJSON() async throws {
        try await withServer { call in
            let id = try await call(
                .post, "/subjects/n-value/versions",
                #"{"schemaType":"JSON","schema":"{\"type\":\"object\",\"properties\":{\"n\":{\"minimum\":0}}}"}"#
            ).json["id"]!.int64Value!
            #expect(try await call(.post, "/v3/clusters/canon/topics", #"{"topic_name":"n"}"#).status == 201)
            let refused = try await call(
                .post, "/v3/clusters/canon/topics/n/records", #"{"value":{"type":"JSONSCHEMA","schema_id":\#(id),"data":{"n":-1}}}"#)
            guard case .array(let errors)? = refused.json["errors"] else { Issue.record("\(refused.json)"); return }
            #expect(refused.status == 422 && errors.first?["path"] == .string("/n"), "\(refused.json)")
            let nan = try await call(
                .post, "/v3/clusters/canon/topics/n/records", #"{"value":{"type":"JSONSCHEMA","schema_id":\#(id),"data":{"n":NaN}}}"#)
            #expect(nan.status == 422 && nan.json["message"]?.stringValue?.contains("not JSON") == true, "\(nan.json)")
            #expect(
                try await call(
                    .post, "/v3/clusters/canon/topics/n/records", #"{"value":{"type":"JSONSCHEMA","schema_id":\#(id),"data":{"n":1}}}"#
                ).status == 200)
        }
    }
}
