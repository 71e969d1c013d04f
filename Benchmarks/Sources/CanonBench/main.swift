// Generic-datum encode/decode of the reference event (Schemas/bench/OrderPlaced.avsc, 198 bytes) with
// Canon's Avro runtime, and Foundation's JSONEncoder/JSONDecoder on an equivalent Codable struct,
// measured side by side in the same process.
//
// Usage: swift run -c release CanonBench [ITERATIONS] [RUNS] [canon-only]     (defaults 200000, 5)
import CanonAvro
import Foundation

let arguments = CommandLine.arguments
let iterations = arguments.count > 1 ? Int(arguments[1]) ?? 200_000 : 200_000
let runs = arguments.count > 2 ? Int(arguments[2]) ?? 5 : 5

let schemaText = #"{"type":"record","name":"OrderPlaced","namespace":"com.example.orders","fields":[{"name":"orderId","type":{"type":"string","logicalType":"uuid"}},{"name":"customerId","type":"long"},{"name":"placedAt","type":{"type":"long","logicalType":"timestamp-millis"}},{"name":"status","type":{"type":"enum","name":"Status","symbols":["PENDING","PAID","SHIPPED","CANCELLED"]}},{"name":"total","type":{"type":"bytes","logicalType":"decimal","precision":12,"scale":2}},{"name":"currency","type":"string","default":"EUR"},{"name":"items","type":{"type":"array","items":{"type":"record","name":"LineItem","fields":[{"name":"sku","type":"string"},{"name":"quantity","type":"int"},{"name":"unitPrice","type":"double"}]}}},{"name":"tags","type":{"type":"map","values":"string"}},{"name":"couponCode","type":["null","string"],"default":null},{"name":"shippingAddress","type":["null",{"type":"record","name":"Address","fields":[{"name":"street","type":"string"},{"name":"city","type":"string"},{"name":"zip","type":"string"},{"name":"country","type":"string"}]}],"default":null}]}"#
let expectedHex = "4833663262386331652d396134642d346537622d386332662d3161356436653766383039319693d89fee47f6a1abfef962020612d687064555520614534b552d303030313233043d0ad7a370fd334014534b552d303034353637020000000000306f4014534b552d3038393031320a0000000000000e4000040e6368616e6e656c067765621063616d706169676e18626c61636b2d66726964617900020c5341564531300220486175707473747261737365203132330c4265726c696e0a3130313135044445"

// MARK: - The Foundation peer: an equivalent Codable struct.

struct LineItem: Codable, Equatable { var sku: String; var quantity: Int32; var unitPrice: Double }
struct Address: Codable, Equatable { var street: String; var city: String; var zip: String; var country: String }
enum Status: String, Codable { case PENDING, PAID, SHIPPED, CANCELLED }
struct OrderPlaced: Codable, Equatable {
    var orderId: UUID
    var customerId: Int64
    var placedAt: Date
    var status: Status
    var total: Decimal
    var currency: String
    var items: [LineItem]
    var tags: [String: String]
    var couponCode: String?
    var shippingAddress: Address?
}

let sample = OrderPlaced(
    orderId: UUID(uuidString: "3f2b8c1e-9a4d-4e7b-8c2f-1a5d6e7f8091")!, customerId: 1_234_567_890_123,
    placedAt: Date(timeIntervalSince1970: 1_700_000_000.123), status: .PAID, total: Decimal(string: "12345.67")!,
    currency: "EUR",
    items: [LineItem(sku: "SKU-000123", quantity: 2, unitPrice: 19.99), LineItem(sku: "SKU-004567", quantity: 1, unitPrice: 249.0),
            LineItem(sku: "SKU-089012", quantity: 5, unitPrice: 3.75)],
    tags: ["channel": "web", "campaign": "black-friday"], couponCode: "SAVE10",
    shippingAddress: Address(street: "Hauptstrasse 123", city: "Berlin", zip: "10115", country: "DE"))

// MARK: - Harness

@inline(never) func blackHole<T>(_ x: T) { withExtendedLifetime(x) {} }

func measure(_ name: String, _ body: () throws -> Void) rethrows -> Double {
    for _ in 0..<(iterations / 10) { try body() }  // warm-up
    var samples: [Double] = []
    for _ in 0..<runs {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<iterations { try body() }
        samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / Double(iterations))
    }
    let median = samples.sorted()[samples.count / 2]
    print(String(format: "%-34@ median %9.1f ns/record   runs: %@", name as NSString, median,
                 samples.map { String(format: "%.0f", $0) }.joined(separator: " ") as NSString))
    return median
}

let schema = try AvroSchema(parsing: schemaText)
let bytes = TextHex.decode(expectedHex)!
let datum = try schema.decode(bytes)
let reencoded = try schema.encode(datum)
precondition(reencoded == bytes, "Canon's encoding differs from the reference bytes")

let encoder = JSONEncoder()
let decoder = JSONDecoder()
let json = try encoder.encode(sample)
let decodedSample = try decoder.decode(OrderPlaced.self, from: json)
precondition(decodedSample == sample)

print("CanonBench: OrderPlaced (\(bytes.count) bytes Avro, \(json.count) bytes JSON), \(iterations) records x \(runs) runs")
var writer = AvroBinaryWriter(capacity: 512)
let canonEncode = try measure("Canon AvroValue encode") {
    writer.reset()
    try schema.encode(datum, into: &writer)
    blackHole(writer.bytes.count)
}
let canonDecode = try measure("Canon AvroValue decode") {
    blackHole(try schema.decode(bytes))
}
if arguments.count > 3 && arguments[3] == "canon-only" { exit(0) }  // for profiling Canon alone
let jsonEncode = try measure("Foundation JSONEncoder (Codable)") {
    blackHole(try encoder.encode(sample))
}
let jsonDecode = try measure("Foundation JSONDecoder (Codable)") {
    blackHole(try decoder.decode(OrderPlaced.self, from: json))
}
print(String(format: "ratio encode: JSONEncoder / Canon = %.1fx", jsonEncode / canonEncode))
print(String(format: "ratio decode: JSONDecoder / Canon = %.1fx", jsonDecode / canonDecode))
