// Generated Avro encode/decode of the reference event (OrderPlaced.avsc, a link to
// Schemas/bench/OrderPlaced.avsc; the types come from CanonCodegenPlugin at build time), Foundation's
// JSONEncoder/JSONDecoder on an equivalent plain Codable struct, and the time to generate code for 200
// schemas. Benchmarks/run-codegen-bench runs it side by side with the peers in ../shared/bench.
//
// Usage: CodegenBench [ITERATIONS] [RUNS]        medians of RUNS runs of ITERATIONS records (200000, 5)
//        CodegenBench hex                        the encoding, for AvroHandBench to check its bytes against
//        CodegenBench count encode|decode|both N  N operations only (for callgrind instruction counts)
import CanonAvro
import CanonCodegen
import Foundation

let datum = OrderPlaced(
    orderId: UUID(uuidString: "3f2b8c1e-9a4d-4e7b-8c2f-1a5d6e7f8091")!, customerId: 1_234_567_890_123,
    placedAt: try AvroTimestampMillis.date(1_700_000_000_123), status: .paid, total: Decimal(string: "12345.67")!, currency: "EUR",
    items: [LineItem(sku: "SKU-000123", quantity: 2, unitPrice: 19.99), LineItem(sku: "SKU-004567", quantity: 1, unitPrice: 249.5),
            LineItem(sku: "SKU-089012", quantity: 5, unitPrice: 3.75)],
    tags: ["channel": "web", "campaign": "black-friday"], couponCode: "SAVE10",
    shippingAddress: Address(street: "Hauptstrasse 123", city: "Berlin", zip: "10115", country: "DE"))
let encoded = try datum.avroBinary()
let decodedBack = try OrderPlaced(avroBinary: encoded)
precondition(decodedBack == datum, "round trip mismatch")
precondition(encoded.count == 198, "the reference event encodes to 198 bytes, got \(encoded.count)")

@inline(never) func encodeLoop(_ n: Int) -> Int {
    var sink = 0
    for _ in 0..<n { sink &+= (try! datum.avroBinary()).count }
    return sink
}
@inline(never) func decodeLoop(_ n: Int) -> Int {
    var sink = 0
    for _ in 0..<n { sink &+= Int(truncatingIfNeeded: (try! OrderPlaced(avroBinary: encoded)).customerId) }
    return sink
}

let arguments = CommandLine.arguments
if arguments.count > 1, arguments[1] == "hex" {
    print(encoded.map { String(format: "%02x", $0) }.joined())
    exit(0)
}
if arguments.count > 3, arguments[1] == "count", let n = Int(arguments[3]) {
    var sink = 0
    if arguments[2] != "decode" { sink &+= encodeLoop(n) }
    if arguments[2] != "encode" { sink &+= decodeLoop(n) }
    print("sink \(sink & 0xff)")
    exit(0)
}
let iterations = arguments.count > 1 ? Int(arguments[1]) ?? 200_000 : 200_000
let runs = arguments.count > 2 ? Int(arguments[2]) ?? 5 : 5

// MARK: - The Foundation peer: an equivalent plain Codable struct.

struct PlainLineItem: Codable, Equatable { var sku: String; var quantity: Int32; var unitPrice: Double }
struct PlainAddress: Codable, Equatable { var street: String; var city: String; var zip: String; var country: String }
enum PlainStatus: String, Codable { case PENDING, PAID, SHIPPED, CANCELLED }
struct PlainOrderPlaced: Codable, Equatable {
    var orderId: UUID
    var customerId: Int64
    var placedAt: Date
    var status: PlainStatus
    var total: Decimal
    var currency: String
    var items: [PlainLineItem]
    var tags: [String: String]
    var couponCode: String?
    var shippingAddress: PlainAddress?
}
let plain = PlainOrderPlaced(
    orderId: datum.orderId, customerId: datum.customerId, placedAt: datum.placedAt, status: .PAID, total: datum.total, currency: "EUR",
    items: datum.items.map { PlainLineItem(sku: $0.sku, quantity: $0.quantity, unitPrice: $0.unitPrice) },
    tags: ["channel": "web", "campaign": "black-friday"], couponCode: "SAVE10",
    shippingAddress: PlainAddress(street: "Hauptstrasse 123", city: "Berlin", zip: "10115", country: "DE"))
let jsonEncoder = JSONEncoder()
let jsonDecoder = JSONDecoder()
let json = try jsonEncoder.encode(plain)

@inline(never) func jsonEncodeLoop(_ n: Int) -> Int {
    var sink = 0
    for _ in 0..<n { sink &+= (try! jsonEncoder.encode(plain)).count }
    return sink
}
@inline(never) func jsonDecodeLoop(_ n: Int) -> Int {
    var sink = 0
    for _ in 0..<n { sink &+= Int(truncatingIfNeeded: (try! jsonDecoder.decode(PlainOrderPlaced.self, from: json)).customerId) }
    return sink
}

// MARK: - Harness (the same as the peers': warm-up of iterations/10, then RUNS timed runs, median)

func nowNs() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
func measure(_ name: String, iterations: Int, _ body: (Int) -> Int) {
    var sink = body(max(1, iterations / 10))
    var per: [Double] = []
    for _ in 0..<runs {
        let t0 = nowNs()
        sink &+= body(iterations)
        per.append(Double(nowNs() - t0) / Double(iterations))
    }
    let s = per.sorted()
    let median = s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    print(name.padding(toLength: 36, withPad: " ", startingAt: 0)
        + String(format: " median %10.1f ns/op  (%12.0f op/s)  min %.1f  max %.1f  [sink %d]", median, 1e9 / median, s.first!, s.last!, sink & 0xff))
}

print("Canon generated Avro, encoded size: \(encoded.count) bytes; iters \(iterations), runs \(runs)")
measure("generated encode -> [UInt8]", iterations: iterations, encodeLoop)
measure("generated decode <- [UInt8]", iterations: iterations, decodeLoop)
measure("Foundation JSONEncoder (plain struct)", iterations: max(1, iterations / 20), jsonEncodeLoop)
measure("Foundation JSONDecoder (plain struct)", iterations: max(1, iterations / 20), jsonDecodeLoop)

// MARK: - Generating code for 200 schemas

let schemaText = OrderPlaced.avroSchema
let schemas = (0..<200).map { i in
    SourceFile(path: "gen\(i)/OrderPlaced.avsc", contents: schemaText
        .replacingOccurrences(of: "com.example.orders", with: "com.example.gen\(i)")
        .replacingOccurrences(of: "\"OrderPlaced\"", with: "\"OrderPlaced\(i)\"").replacingOccurrences(of: "\"LineItem\"", with: "\"LineItem\(i)\"")
        .replacingOccurrences(of: "\"Address\"", with: "\"Address\(i)\"").replacingOccurrences(of: "\"Status\"", with: "\"Status\(i)\""))
}
var generation: [Double] = []
var generatedBytes = 0
for _ in 0..<5 {
    let t0 = nowNs()
    let files = try CanonCodegen.generate(schemaFiles: schemas)
    generation.append(Double(nowNs() - t0) / 1e6)
    generatedBytes = files.reduce(0) { $0 + $1.contents.utf8.count }
}
print(String(format: "generate 200 schemas (800 types)        median %8.1f ms  (%d bytes of Swift)", generation.sorted()[2], generatedBytes))
