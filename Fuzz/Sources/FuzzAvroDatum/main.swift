import CanonAvro
import CanonCore

// The binary decoder and both validators on arbitrary bytes against a schema with every kind of type:
// the compiled validator and the schema walk agree on what is valid, the decoder reads whatever they
// accept, and the value it reads encodes to bytes that decode to the same value (not always the same
// bytes: overlong varints and sized blocks are valid input that the encoder never writes).
let schema = try! AvroSchema(
    parsing: #"""
        {"type":"record","name":"R","fields":[
          {"name":"b","type":"boolean"},{"name":"i","type":"int"},{"name":"l","type":"long"},
          {"name":"f","type":"float"},{"name":"d","type":"double"},{"name":"s","type":"string"},
          {"name":"y","type":"bytes"},{"name":"e","type":{"type":"enum","name":"E","symbols":["A","B","C"]}},
          {"name":"x","type":{"type":"fixed","name":"F","size":3}},
          {"name":"a","type":{"type":"array","items":["null","int",{"type":"map","values":"string"}]}},
          {"name":"u","type":{"type":"string","logicalType":"uuid"}},
          {"name":"m","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}},
          {"name":"next","type":["null","R"]}
        ]}
        """#)
let validator = AvroValidator(schema)
let limits = AvroDecodingLimits.default

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAvroDatum(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    let compiled = (try? validator.validate(bytes, limits: limits)) != nil
    let walked = (try? schema.validate(bytes, limits: limits)) != nil
    precondition(compiled == walked, "the compiled validator says \(compiled), the walk \(walked)")
    let decoded = try? schema.decode(bytes, limits: limits)
    if compiled {
        guard let decoded else { fatalError("a validated datum does not decode") }
        guard let encoded = try? schema.encode(decoded) else { fatalError("a decoded value does not encode") }
        precondition((try? schema.decode(encoded, limits: limits)) == decoded, "a value changes through encoding and decoding")
    }
    return 0
}
