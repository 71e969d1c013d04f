import CanonCore
import CanonJSONSchema

// JSON Schema on arbitrary bytes read as a schema: compiling it is an error or a plan, never a crash or
// a hang; validating values with the plan (the schema itself among them) ends within the budgets; and
// a schema is compatible with itself under Confluent's rules.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONSchema(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    guard let schema = try? JSONReader.parse(bytes: bytes) else { return 0 }
    var options = JSONSchemaValidator.Options()
    options.maximumSteps = 100_000
    options.assertsFormats = count % 2 == 0
    guard let validator = try? JSONSchemaValidator(schema: schema, options: options) else { return 0 }
    for instance in [schema, .null, .int(0), .double(0.5), .string(""), .string("a-b.c@d"), .array([.int(1), .int(1)]), .object([:])] {
        _ = validator.validate(instance)
    }
    let format = JSONSchemaFormat()
    guard let parsed = try? format.makeParser().parse(schema.jsonText) else { return 0 }
    if let messages = try? format.incompatibilities(reader: parsed, writer: parsed, readerRole: .new, budget: 100_000, policy: nil) {
        precondition(messages.isEmpty, "a schema is incompatible with itself: \(messages.map(\.text)) for \(schema.jsonText)")
    }
    return 0
}
