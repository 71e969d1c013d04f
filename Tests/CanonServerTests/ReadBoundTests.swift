import CanonCore
import Foundation
import Testing

/// A read of a topic is bounded by what it writes: stored records that decode to much more JSON than
/// they take are answered up to the server's response limit, then cut with a marker.
@Suite struct ReadBoundTests {
    /// `array<null>` of `n` nulls framed with schema `id`: 5 + a few bytes, `n` × "null," decoded.
    static func nulls(_ n: Int, id: Int64) -> String {
        var bytes: [UInt8] = [0, 0, 0, 0, UInt8(id)]
        Varint.append(Varint.zigZag(Int64(n)), to: &bytes)
        bytes.append(0)
        return Data(bytes).base64EncodedString()
    }

    @Test func tenSmallRecordsThatDecodeHugeAreCutAtTheResponseLimit() async throws {
        try await withServer(maximumResponseBytes: 1 << 20) { call in
            let id = try await call(
                .post, "/subjects/nulls-value/versions", #"{"schema":"{\"type\":\"array\",\"items\":\"null\"}"}"#
            ).json["id"]!.int64Value!
            #expect(try await call(.post, "/v3/clusters/canon/topics", #"{"topic_name":"nulls"}"#).status == 201)
            // Ten records of 9 bytes, each 25,000 nulls (125 KB of JSON) decoded.
            for _ in 0..<10 {
                let produced = try await call(
                    .post, "/v3/clusters/canon/topics/nulls/records",
                    #"{"value":{"type":"BINARY","data":"\#(Self.nulls(25_000, id: id))"}}"#)
                #expect(produced.status == 200)
            }
            let read = try await call(.get, "/v3/clusters/canon/topics/nulls/partitions/0/records?format=avro-json&max_records=10", nil)
            #expect(read.status == 200)
            guard case .array(let data)? = read.json["data"] else { Issue.record("no data: \(read.json)"); return }
            #expect(data.count == 8, "\(data.first.map { "\($0)".prefix(300) } ?? "")")
            #expect(read.json["next_offset"]?.int64Value == 8)
            #expect(read.json["truncated"]?.stringValue?.contains("1048576 bytes") == true)
            // Reading on from next_offset makes progress.
            let more = try await call(.get, "/v3/clusters/canon/topics/nulls/partitions/0/records?offset=8&format=avro-json", nil)
            #expect(more.json["next_offset"]?.int64Value == 10)

            // One record larger than the limit alone is answered as a marker, and the read goes on.
            let big = try await call(
                .post, "/v3/clusters/canon/topics/nulls/records",
                #"{"value":{"type":"BINARY","data":"\#(Self.nulls(1_000_000, id: id))"}}"#)
            let offset = big.json["offset"]!.int64Value!
            let alone = try await call(.get, "/v3/clusters/canon/topics/nulls/partitions/0/records?offset=\(offset)&format=avro-json", nil)
            guard case .array(let records)? = alone.json["data"], let first = records.first else { Issue.record("\(alone.json)"); return }
            #expect(first["value"]?["error"]?.stringValue?.contains("exceeds the response limit") == true, "\(alone.json)")
            #expect(alone.json["next_offset"]?.int64Value == offset + 1)
        }
    }
}
