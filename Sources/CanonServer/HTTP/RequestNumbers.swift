import CanonCore

/// Numbers in requests, read strictly: anything but an integer within the field's range is a 400 that
/// names the field and what was sent, never a silent default (`partition_id: 1e30` does not write to
/// partition 0, `offset=abc` does not read from 0, `partitions_count: 3.7` does not make 3 partitions).
enum RequestNumbers {
    /// A JSON body's integer field: nil when absent or null.
    static func integer(_ value: JSONValue?, field: String, in range: ClosedRange<Int64>) throws(APIError) -> Int64? {
        switch value {
        case nil, .null?:
            return nil
        case .int(let v)?:
            guard range.contains(v) else { throw outOfRange(field, "\(v)", range) }
            return v
        case .uint(let v)?:
            throw outOfRange(field, "\(v)", range)
        case let other?:
            throw APIError(.badRequest, 40002, "'\(field)' must be an integer; got \(other.jsonText)")
        }
    }

    /// A query parameter or path segment: nil when absent.
    static func integer(_ text: String?, field: String, in range: ClosedRange<Int64>) throws(APIError) -> Int64? {
        guard let text else { return nil }
        guard let v = Int64(text) else {
            throw APIError(.badRequest, 40002, "'\(field)' must be an integer; got '\(text.prefix(64))'")
        }
        guard range.contains(v) else { throw outOfRange(field, text, range) }
        return v
    }

    private static func outOfRange(_ field: String, _ value: String, _ range: ClosedRange<Int64>) -> APIError {
        APIError(.badRequest, 40002, "'\(field)' must be between \(range.lowerBound) and \(range.upperBound); got \(value.prefix(64))")
    }

    /// Partition numbers: Kafka's are 32-bit and not negative.
    static let partitions: ClosedRange<Int64> = 0...Int64(Int32.max)
}
