import CanonAvro
import CanonCore

// The binary decoder and the validator on arbitrary bytes against a schema with every kind of type:
// they agree on what is valid (the validator refuses more only by its strict rules: uuid text, decimal
// precision, a block's declared byte size), refusing at the same byte with the same error, under the
// default limits and under tight item, length and nesting limits (the last runs the validator's exact mode); the value the decoder
// reads encodes to bytes that decode to the same value (not always the same bytes: overlong varints and
// sized blocks are valid input that the encoder never writes).
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
let validator = AvroDatumValidator(schema)
let limits = AvroDecodingLimits.default
// Tight limits the validator and the decoder count alike (not maxTotalSize: the decoder also counts the
// values it builds).
let tight = AvroDecodingLimits(maxCollectionItems: 6, maxLength: 12, maxDepth: 4)

/// Whether the validator's verdict is the decoder's, or stricter by one of its own rules.
func agree(_ validated: AvroError?, _ decoded: AvroError?) -> Bool {
    guard let v = validated else { return decoded == nil }
    if ["UUID", "digits", "block byte size", "a decimal needs"].contains(where: { v.message.contains($0) }) { return true }
    guard let d = decoded else { return false }
    return v.code == d.code && v.message == d.message && v.location.byteOffset == d.location.byteOffset
}

func verdicts(_ bytes: [UInt8], _ limits: AvroDecodingLimits) -> (AvroError?, AvroError?) {
    var validated: AvroError?, decoded: AvroError?
    do { try validator.validate(bytes, limits: limits) } catch { validated = error }
    do { _ = try schema.decode(bytes, limits: limits) } catch { decoded = error }
    return (validated, decoded)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAvroDatum(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    for l in [limits, tight] {
        let (v, d) = verdicts(bytes, l)
        precondition(agree(v, d), "validator: \(String(describing: v)), decoder: \(String(describing: d))")
    }
    let compiled = (try? validator.validate(bytes, limits: limits)) != nil
    let decoded = try? schema.decode(bytes, limits: limits)
    if compiled {
        guard let decoded else { fatalError("a validated datum does not decode") }
        guard let encoded = try? schema.encode(decoded) else { fatalError("a decoded value does not encode") }
        precondition((try? schema.decode(encoded, limits: limits)) == decoded, "a value changes through encoding and decoding")
    }
    return 0
}
