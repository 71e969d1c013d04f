import CanonCore
import CanonXSD

// XML Schema on arbitrary bytes: the input is a schema, then (after a NUL byte) a second schema, then
// (after another) a document. Compiling is an error or a schema, never a crash or a hang; a schema is
// compatible with itself; two schemas compare both ways within the budget; the document is validated
// or refused.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzXSD(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    let parts = bytes.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    let format = XSDFormat()
    guard let first = try? format.makeParser().parse(parts[0]) else { return 0 }
    if let messages = try? format.incompatibilities(reader: first, writer: first, readerRole: .new, budget: 100_000, policy: nil) {
        // Only a schema breaking Element Declarations Consistent (libxml2 compiles such schemas) is not.
        precondition(
            messages.allSatisfy { $0.errorType == "ELEMENT_DECLARATIONS_INCONSISTENT" },
            "a schema is incompatible with itself: \(messages.map(\.text)) for \(parts[0])")
    }
    if parts.count > 1, let second = try? format.makeParser().parse(parts[1]) {
        _ = try? format.incompatibilities(reader: first, writer: second, readerRole: .new, budget: 100_000, policy: nil)
        _ = try? format.incompatibilities(reader: second, writer: first, readerRole: .old, budget: 100_000, policy: nil)
    }
    if parts.count > 2 {
        let document = Array(parts[2].utf8)
        _ = try? first.makeValidator().validatePayload(document, from: 0, limits: .default)
        _ = try? first.encode(json: .string(parts[2]))
    }
    return 0
}
