// Validating one JSON instance of the reference event (Schemas/bench/OrderPlaced.json, against its JSON
// Schema twin Schemas/bench/OrderPlaced.schema.json), side by side in one run:
//  - Canon's compiled validation plan (JSONSchemaValidator), on the parsed value, and from the bytes
//    (strict UTF-8 JSON parsed, then validated: what write-time `full` will do per record);
//  - Python `jsonschema` (Draft7Validator.is_valid, the schema compiled once), the same two ways
//    (`json.loads` + is_valid for the second), in a python3 child of this process;
//  - Canon's Avro `full` on the same event's Avro encoding (AvroDatumValidator), for scale.
// Median of RUNS rounds of SECONDS each; the ratios per round.
//
// Usage (from Benchmarks/): swift build -c release --product JSONSchemaBench && .build/release/JSONSchemaBench [SECONDS] [RUNS]
// Needs python3 with jsonschema on PATH (the test venv: PATH=../.build/python-peers/bin:$PATH).
import CanonAvro
import CanonCore
import CanonJSONSchema
import Foundation

let arguments = CommandLine.arguments
let seconds = arguments.count > 1 ? Double(arguments[1]) ?? 2 : 2
let runs = arguments.count > 2 ? Int(arguments[2]) ?? 5 : 5
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
let schemaURL = packageRoot.appendingPathComponent("Schemas/bench/OrderPlaced.schema.json")
let instanceURL = packageRoot.appendingPathComponent("Schemas/bench/OrderPlaced.json")
let instanceBytes = Array(try Data(contentsOf: instanceURL))
let validator = try JSONSchemaValidator(schema: try JSONReader.parse(bytes: Array(try Data(contentsOf: schemaURL))))
let instance = try JSONReader.parse(bytes: instanceBytes)
precondition(validator.validate(instance) == nil, "the reference instance must be valid")

let avroSchema = try AvroSchema(parsing: try String(contentsOf: packageRoot.appendingPathComponent("Schemas/bench/OrderPlaced.avsc"), encoding: .utf8))
let avroPayload = try avroSchema.encode(try AvroJSON.decode(instance.mergingAvroShape(), schema: avroSchema))
let avroValidator = AvroDatumValidator(avroSchema)

@inline(never) func blackHole<T>(_ x: T) { withExtendedLifetime(x) {} }

// CANON_BENCH_ONLY=validate: only CANON_BENCH_N validations of the parsed value (for callgrind).
if ProcessInfo.processInfo.environment["CANON_BENCH_ONLY"] == "validate" {
    let n = Int(ProcessInfo.processInfo.environment["CANON_BENCH_N"] ?? "") ?? 100_000
    for _ in 0..<n { blackHole(validator.validate(instance)) }
    exit(0)
}
func nanos() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

/// Nanoseconds per call of `body`, run for `seconds`.
func measure(_ body: () throws -> Void) rethrows -> Double {
    var n = 0
    let start = nanos()
    let end = start + UInt64(seconds * 1e9)
    var now = start
    while now < end {
        for _ in 0..<256 { try body() }
        n += 256
        now = nanos()
    }
    return Double(now - start) / Double(n)
}

/// Python jsonschema's nanoseconds per validation: (is_valid on the value, json.loads + is_valid).
func python() throws -> (Double, Double) {
    let script = """
        import json, sys, time, jsonschema
        schema = json.load(open(sys.argv[1])); text = open(sys.argv[2]).read(); seconds = float(sys.argv[3])
        v = jsonschema.Draft7Validator(schema); value = json.loads(text); assert v.is_valid(value)
        def rate(f):
            n = 0; start = time.perf_counter_ns(); end = start + int(seconds * 1e9)
            while True:
                for _ in range(64): f()
                n += 64; now = time.perf_counter_ns()
                if now >= end: return (now - start) / n
        print(rate(lambda: v.is_valid(value)), rate(lambda: v.is_valid(json.loads(text))))
        """
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script, schemaURL.path, instanceURL.path, "\(seconds)"]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    let parts = out.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    guard parts.count == 2 else { fatalError("python3 jsonschema failed: \(out)") }
    return (parts[0], parts[1])
}

var canonValue: [Double] = [], canonBytes: [Double] = [], avro: [Double] = [], pyValue: [Double] = [], pyBytes: [Double] = []
var ratioValue: [Double] = [], ratioBytes: [Double] = [], ratioAvro: [Double] = []
for _ in 0..<runs {
    let v = measure { blackHole(validator.validate(instance)) }
    let b = try measure { blackHole(validator.validate(try JSONReader.parse(bytes: instanceBytes))) }
    let a = try measure { try avroValidator.validate(avroPayload) }
    let (pv, pb) = try python()
    canonValue.append(v); canonBytes.append(b); avro.append(a); pyValue.append(pv); pyBytes.append(pb)
    ratioValue.append(pv / v); ratioBytes.append(pb / b); ratioAvro.append(b / a)
}
print("the reference event as JSON (\(instanceBytes.count) bytes), medians of \(runs) rounds of \(seconds) s, ns per validation:")
print(String(format: "  Canon JSONSchemaValidator, parsed value:  %8.0f   Python jsonschema: %9.0f   ratio %.0fx (rounds %.0f-%.0fx)",
             median(canonValue), median(pyValue), median(ratioValue), ratioValue.min()!, ratioValue.max()!))
print(String(format: "  Canon, from the bytes (parse + validate):  %8.0f   Python json.loads+is_valid: %9.0f   ratio %.0fx (rounds %.0f-%.0fx)",
             median(canonBytes), median(pyBytes), median(ratioBytes), ratioBytes.min()!, ratioBytes.max()!))
print(String(format: "  Canon Avro full (AvroDatumValidator, %d bytes): %6.0f   JSON from bytes / Avro: %.1fx (rounds %.1f-%.1fx)",
             avroPayload.count, median(avro), median(ratioAvro), ratioAvro.min()!, ratioAvro.max()!))

extension JSONValue {
    /// The instance in Avro JSON's shape for the twin Avro schema: uuid and decimal as the Avro types
    /// want them, unions as `{"type": value}`.
    func mergingAvroShape() -> JSONValue {
        guard case .object(var object) = self else { return self }
        if let total = object["total"]?.doubleValue {
            let cents = Int64((total * 100).rounded())
            var bytes: [UInt8] = []
            var v = cents
            repeat { bytes.insert(UInt8(truncatingIfNeeded: v), at: 0); v >>= 8 } while v != 0 && v != -1
            if (bytes[0] & 0x80 != 0) != (cents < 0) { bytes.insert(cents < 0 ? 0xFF : 0, at: 0) }
            object["total"] = .string(String(decoding: bytes.map { UInt16($0) }, as: UTF16.self))
        }
        if let coupon = object["couponCode"], coupon != .null { object["couponCode"] = .object(["string": coupon]) }
        if let address = object["shippingAddress"], address != .null { object["shippingAddress"] = .object(["com.example.orders.Address": address]) }
        return .object(object)
    }
}
