import CanonCore

// The JSON reader on arbitrary bytes: an error or a value, never a crash; what it reads writes back to
// text that reads as the same value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    guard let value = try? JSONReader.parse(bytes: bytes) else { return 0 }
    guard let again = try? JSONReader.parse(value.jsonText) else { fatalError("written JSON does not read back: \(value.jsonText)") }
    precondition(again.jsonText == value.jsonText, "JSON does not round-trip: \(value.jsonText) vs \(again.jsonText)")
    return 0
}
