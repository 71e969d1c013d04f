import CanonCore
import CanonTestSupport
import Hummingbird
import Testing

/// The topic and record routes read numbers strictly and answer a wrong method with 405 (security
/// issue's abuse probe: `partition_id: 1e30` wrote to partition 0, `partitions_count: 3.7` made a
/// topic, `offset=abc` and `-100` read from 0, and a wrong method got an empty 404).
@Suite struct RequestHardeningTests {
    static let records = "/v3/clusters/canon/topics/t/records"

    @Test func badNumbersAreA400NamingTheField() async throws {
        try await withServer { call in
            #expect(try await call(.post, "/v3/clusters/canon/topics", #"{"topic_name":"t","partitions_count":2}"#).status == 201)
            for (body, field) in [
                (#"{"topic_name":"u","partitions_count":3.7}"#, "partitions_count"),
                (#"{"topic_name":"u","partitions_count":0}"#, "partitions_count"),
                (#"{"topic_name":"u","partitions_count":"3"}"#, "partitions_count"),
            ] {
                let answer = try await call(.post, "/v3/clusters/canon/topics", body)
                #expect(
                    answer.status == 400 && answer.json["message"]?.stringValue?.contains("'\(field)'") == true, "\(body): \(answer.json)")
            }
            #expect(try await call(.get, "/v3/clusters/canon/topics/u", nil).status == 404)
            for partition in ["1e30", "-1", "1.5", "\"0\"", "99999999999"] {
                let answer = try await call(.post, Self.records, #"{"partition_id":\#(partition),"value":{"type":"STRING","data":"x"}}"#)
                #expect(
                    answer.status == 400 && answer.json["message"]?.stringValue?.contains("'partition_id'") == true,
                    "\(partition): \(answer.json)")
            }
            #expect(try await call(.post, Self.records, #"{"partition_id":1,"value":{"type":"STRING","data":"x"}}"#).status == 200)
            let read = "/v3/clusters/canon/topics/t/partitions"
            for (query, field) in [
                ("0/records?offset=abc", "offset"), ("0/records?offset=-100", "offset"), ("x/records", "partition"),
                ("0/records?max_records=lots", "max_records"),
            ] {
                let answer = try await call(.get, "\(read)/\(query)", nil)
                #expect(
                    answer.status == 400 && answer.json["message"]?.stringValue?.contains("'\(field)'") == true, "\(query): \(answer.json)")
            }
            let one = try await call(.get, "\(read)/1/records?offset=0", nil)
            guard case .array(let data)? = one.json["data"] else {
                Issue.record("\(one.json)")
                return
            }
            #expect(one.status == 200 && data.count == 1)
        }
    }

    @Test func aWrongMethodIsA405WithAJSONBodyAndAllow() async throws {
        try await withServer { (call: @escaping @Sendable (HTTPRequest.Method, String, ByteBuffer?, HTTPFields) async throws -> Answer) in
            _ = try await call(
                .post, "/v3/clusters/canon/topics", ByteBuffer(string: #"{"topic_name":"t"}"#), [.contentType: "application/json"])
            for (method, path, allow) in [
                (HTTPRequest.Method.delete, "/v3/clusters/canon/topics", "GET, POST"),
                (.put, Self.records, "POST"),
                (.get, Self.records, "POST"),
                (.post, "/v3/clusters/canon/topics/t", "GET, DELETE"),
                (.delete, "/v3/clusters/canon/topics/t/partitions/0/records", "GET"),
            ] {
                let answer = try await call(method, path, nil, [:])
                #expect(answer.status == 405, "\(method) \(path): \(answer.status)")
                #expect(answer.json["error_code"] == .int(40501), "\(answer.json)")
                #expect(answer.json["message"]?.stringValue?.contains(allow) == true, "\(answer.json)")
            }
        }
    }
}
