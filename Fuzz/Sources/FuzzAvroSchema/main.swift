import CanonAvro
import CanonCore

// The schema parser on arbitrary text: an error or a schema, never a crash; a parsed schema's renderings
// parse again to the same renderings, and its compatibility with itself is checked without a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAvroSchema(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    guard let schema = try? AvroSchema(parsing: text) else { return 0 }
    let rendering = schema.fullRendering
    guard let again = try? AvroSchema(parsing: rendering) else { fatalError("the full rendering does not parse: \(rendering)") }
    precondition(again.fullRendering == rendering, "the full rendering is not stable: \(rendering)")
    precondition(again.canonicalForm == schema.canonicalForm, "the canonical form is not stable: \(schema.canonicalForm)")
    _ = try? schema.incompatibilities(readingDataWrittenWith: again)
    return 0
}
