import CanonCore
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

    // What the compatibility check needs besides the codec's tables, so that it never copies nodes.
    /// Per field (aligned with `fieldNames`): whether it has a default, and its aliases.
    let fieldHasDefault: [Bool]
    let fieldAliases: [[String]]
    /// Per record node with many fields: field name -> position in the record.
    let fieldPositions: [Int: [String: Int]]
    /// Per node: unqualified and full name (empty for unnamed types), aliases (full names).
    let shortNames: [String]
    let fullNames: [String]
    let aliases: [[String]]
    /// Per node: an enum's default symbol.
    let enumDefaults: [String?]
    /// Per node: what strict validation checks beyond the encoding: -1 a uuid string, n > 0 a decimal of
    /// precision n (bytes or fixed), 0 nothing.
    let strictChecks: [Int32]
    /// Per node: a 128-bit hash of the structure the compatibility check compares (type, full names,
    /// sizes, symbols, field names and types, union branches; logical types, docs and defaults left out),
    /// or nil when the node's subtree is recursive. Two nodes with equal hashes read each other.
    let structureHashes: [StructureHash?]
    /// Rabin fingerprints of the canonical forms rooted at nodes, computed on first use.
    let fingerprints = FingerprintCache()

    struct StructureHash: Hashable, Sendable {
        var high: Int
        var low: Int
    }

    /// Plans `nodes`. With `previous` (a plan of a prefix of `nodes`, which the parser never changes once
    /// a parse succeeds), only the nodes after that prefix are planned: parsing many files stays linear.
    init(_ nodes: [AvroSchema.Node], extending previous: CodecPlan? = nil) {
        let first = previous?.ops.count ?? 0
        var ops: [Op] = previous?.ops ?? []
        ops.reserveCapacity(nodes.count)
        var fieldTypes = previous?.fieldTypes ?? [], fieldNames = previous?.fieldNames ?? []
        var branches = previous?.branches ?? [], symbols = previous?.symbols ?? []
        var fieldHasDefault = previous?.fieldHasDefault ?? [], fieldAliases = previous?.fieldAliases ?? []
        var fieldPositions = previous?.fieldPositions ?? [:]
        var shortNames = previous?.shortNames ?? [], fullNames = previous?.fullNames ?? []
        var aliases = previous?.aliases ?? [], enumDefaults = previous?.enumDefaults ?? []
        var strictChecks = previous?.strictChecks ?? []
        for (index, node) in nodes.enumerated().dropFirst(first) {
            switch node.logicalType {
            case .uuid?: strictChecks.append(-1)
            case .decimal(let precision, _)?: strictChecks.append(Int32(clamping: precision))
            default: strictChecks.append(0)
            }
            shortNames.append(node.name?.name ?? "")
            fullNames.append(node.name?.fullName ?? "")
            switch node {
            case .record(let r): aliases.append(r.aliases)
            case .enumeration(let e): aliases.append(e.aliases)
            case .fixed(let f): aliases.append(f.aliases)
            default: aliases.append([])
            }
            if case .enumeration(let e) = node { enumDefaults.append(e.defaultSymbol) } else { enumDefaults.append(nil) }
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
                fieldHasDefault += r.fields.map { $0.defaultValue != nil }
                fieldAliases += r.fields.map(\.aliases)
                if r.fields.count > 8 {
                    fieldPositions[index] = Dictionary(r.fields.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
                }
            }
        }
        // Minimum encoded sizes, with a memoized depth-first walk in which a record being visited counts
        // as 0. A value computed under that assumption is still a lower bound, so keeping it is safe,
        // and memoizing keeps the walk linear when records are shared.
        var visiting = Set<Int>()
        var known = [Int?](repeating: nil, count: ops.count)
        for i in 0..<first { known[i] = Int(ops[i].minimumSize) }
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
        for i in first..<ops.count { ops[i].minimumSize = Int32(minimum(i)) }

        // Structure hashes, children first; a node on a cycle (and everything above it) gets none.
        var hashes = (previous?.structureHashes ?? []) + [StructureHash?](repeating: nil, count: ops.count - first)
        var state = [UInt8](repeating: 2, count: first) + [UInt8](repeating: 0, count: ops.count - first)  // 0 new, 1 in progress, 2 done
        func structure(_ i: Int) -> StructureHash? {
            if state[i] == 2 { return hashes[i] }
            if state[i] == 1 { return nil }
            state[i] = 1
            var high = Hasher(), low = Hasher()
            high.combine(0x5EED_0001)
            low.combine(0x5EED_0002)
            func mix<T: Hashable>(_ v: T) {
                high.combine(v)
                low.combine(v)
            }
            let op = ops[i]
            mix(op.kind.rawValue)
            var acyclic = true
            func child(_ c: Int) {
                if let h = structure(c) { mix(h) } else { acyclic = false }
            }
            switch op.kind {
            case .fixed:
                mix(fullNames[i])
                mix(op.a)
            case .enumeration:
                mix(fullNames[i])
                for k in Int(op.a)..<Int(op.a + op.b) { mix(symbols[k]) }
            case .array, .map:
                child(Int(op.a))
            case .union:
                mix(op.b)
                for k in Int(op.a)..<Int(op.a + op.b) { child(Int(branches[k])) }
            case .record:
                mix(fullNames[i])
                mix(op.b)
                for k in Int(op.a)..<Int(op.a + op.b) {
                    mix(fieldNames[k])
                    child(Int(fieldTypes[k]))
                }
            default: break
            }
            state[i] = 2
            hashes[i] = acyclic ? StructureHash(high: high.finalize(), low: low.finalize()) : nil
            return hashes[i]
        }
        for i in first..<ops.count { _ = structure(i) }
        self.ops = ops
        self.fieldTypes = fieldTypes
        self.fieldNames = fieldNames
        self.branches = branches
        self.symbols = symbols
        self.fieldHasDefault = fieldHasDefault
        self.fieldAliases = fieldAliases
        self.fieldPositions = fieldPositions
        self.shortNames = shortNames
        self.fullNames = fullNames
        self.aliases = aliases
        self.enumDefaults = enumDefaults
        self.structureHashes = hashes
        self.strictChecks = strictChecks
    }

    /// The position in record `record` of the field named `name`.
    func fieldPosition(record: Int, named name: String) -> Int? {
        if let positions = fieldPositions[record] { return positions[name] }
        let op = ops[record]
        for k in 0..<Int(op.b) where fieldNames[Int(op.a) + k] == name { return k }
        return nil
    }
}

/// Fingerprints by root node, filled on first use: a deserializer compares the writer's fingerprint with
/// its own type's on every message, and rendering the canonical form each time would cost more than the
/// decoding.
final class FingerprintCache: Sendable {
    private let values = Locked<[Int: UInt64]>([:])

    func value(for root: Int, compute: () -> UInt64) -> UInt64 {
        if let known = values.withValue({ $0[root] }) { return known }
        let computed = compute()
        values.withValue { $0[root] = computed }
        return computed
    }
}
