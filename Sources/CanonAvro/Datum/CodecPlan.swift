/// The schema graph flattened for the generic binary codec: one trivially copyable ``Op`` per node and
/// shared tables for field names, child indexes and symbols. Walking it costs no reference counting,
/// which walking ``AvroSchema/Node`` values (strings, arrays, properties) would.
final class CodecPlan: Sendable {
    enum Kind: UInt8, Sendable {
        case null, boolean, int, long, float, double, bytes, string, fixed, enumeration, array, map, union, record
    }

    /// One node. `a`/`b` depend on the kind: fixed size; array items / map values node; the start and
    /// count of a record's fields (`fieldTypes`/`fieldNames`), a union's branches (`branches`) or an
    /// enum's symbols (`symbols`).
    struct Op: Sendable {
        var kind: Kind
        var a: Int32
        var b: Int32
        /// The fewest bytes a datum of this node encodes to (recursion counts as 0: a lower bound).
        var minimumSize: Int32
    }

    let ops: [Op]
    let fieldTypes: [Int32]
    let fieldNames: [String]
    let branches: [Int32]
    let symbols: [String]

    init(_ nodes: [AvroSchema.Node]) {
        var ops: [Op] = []
        ops.reserveCapacity(nodes.count)
        var fieldTypes: [Int32] = [], fieldNames: [String] = [], branches: [Int32] = [], symbols: [String] = []
        for node in nodes {
            switch node {
            case .primitive(let p, _):
                let kind: Kind
                switch p {
                case .null: kind = .null
                case .boolean: kind = .boolean
                case .int: kind = .int
                case .long: kind = .long
                case .float: kind = .float
                case .double: kind = .double
                case .bytes: kind = .bytes
                case .string: kind = .string
                }
                ops.append(Op(kind: kind, a: 0, b: 0, minimumSize: 0))
            case .fixed(let f):
                ops.append(Op(kind: .fixed, a: Int32(f.size), b: 0, minimumSize: 0))
            case .enumeration(let e):
                ops.append(Op(kind: .enumeration, a: Int32(symbols.count), b: Int32(e.symbols.count), minimumSize: 0))
                symbols += e.symbols
            case .array(let items, _):
                ops.append(Op(kind: .array, a: Int32(items), b: 0, minimumSize: 0))
            case .map(let values, _):
                ops.append(Op(kind: .map, a: Int32(values), b: 0, minimumSize: 0))
            case .union(let bs):
                ops.append(Op(kind: .union, a: Int32(branches.count), b: Int32(bs.count), minimumSize: 0))
                branches += bs.map { Int32($0) }
            case .record(let r):
                ops.append(Op(kind: .record, a: Int32(fieldTypes.count), b: Int32(r.fields.count), minimumSize: 0))
                fieldTypes += r.fields.map { Int32($0.type) }
                fieldNames += r.fields.map(\.name)
            }
        }
        // Minimum encoded sizes, with a memoized depth-first walk in which a record being visited counts
        // as 0. A value computed under that assumption is still a lower bound, so keeping it is safe,
        // and memoizing keeps the walk linear when records are shared.
        var visiting = Set<Int>()
        var known = [Int?](repeating: nil, count: ops.count)
        func minimum(_ i: Int) -> Int {
            if let k = known[i] { return k }
            let value = computeMinimum(i)
            known[i] = value
            return value
        }
        func computeMinimum(_ i: Int) -> Int {
            let op = ops[i]
            switch op.kind {
            case .null: return 0
            case .float: return 4
            case .double: return 8
            case .fixed: return Int(op.a)
            case .record:
                guard visiting.insert(i).inserted else { return 0 }
                defer { visiting.remove(i) }
                var total = 0
                for k in Int(op.a)..<Int(op.a + op.b) { total = min(total + minimum(Int(fieldTypes[k])), Int(Int32.max)) }
                return total
            default: return 1
            }
        }
        for i in ops.indices { ops[i].minimumSize = Int32(minimum(i)) }
        self.ops = ops
        self.fieldTypes = fieldTypes
        self.fieldNames = fieldNames
        self.branches = branches
        self.symbols = symbols
    }
}
