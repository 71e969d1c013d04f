import CanonAvro

/// How a value of an Avro type is held in Swift and coded: the translator's view of a schema node.
indirect enum ValueKind: Hashable {
    case null, boolean, int, long, float, double, bytes, string
    /// A union whose one branch is `null` (`["null"]`): `AvroNull`, written as its branch index.
    case nullUnion
    case logical(LogicalKind)
    case array(ValueKind)
    case map(ValueKind)
    /// A union of `null` and one other type, as `T?`.
    case optional(ValueKind, nullIndex: Int)
    /// Any other union, as a generated enum (index into `TypeModel.unions`); `T?` when null is a branch.
    case union(Int, nullIndex: Int?)
    case record(Int)
    case enumeration(Int)
    case fixed(Int)
}

/// Logical types and the exact Swift types that hold them.
enum LogicalKind: Hashable {
    case uuid, uuidFixed, timestampMillis, timestampMicros, timestampNanos
    case localTimestampMillis, localTimestampMicros, localTimestampNanos
    case date, timeMillis, timeMicros, duration
    /// Precision <= 38: `Foundation.Decimal`.
    case decimal(precision: Int, scale: Int, fixedSize: Int?)
    /// Precision > 38: `CanonAvro.AvroBigDecimal` at the schema's scale.
    case bigDecimal(precision: Int, scale: Int, fixedSize: Int?)
    /// `big-decimal`: the scale travels with each value.
    case bigDecimalVariable
}

/// A union that is generated as an enum with associated values, nested in the record that uses it.
struct UnionModel: Hashable {
    struct Branch: Hashable {
        var caseName: String
        var kind: ValueKind
        /// The branch's name in Avro JSON (`string`, `com.example.Card`).
        var avroName: String
        /// The branch's index in the Avro union.
        var index: Int
    }
    /// The record node the union is nested in.
    var owner: Int
    var name: String
    var branches: [Branch]
    var nullIndex: Int?
    var branchCount: Int
}

/// Swift names and value kinds for every named type of a schema set, computed once before translation.
struct TypeModel {
    let schema: AvroSchema
    /// Swift type name of each generated named type (records, enums, plain fixed).
    private(set) var names: [Int: String] = [:]
    private(set) var unions: [UnionModel] = []
    /// Per record: the kind of each field, in schema order.
    private(set) var fieldKinds: [Int: [ValueKind]] = [:]
    /// Records that can contain themselves: stored behind an indirect enum box.
    private(set) var boxed: Set<Int> = []
    /// Records whose encoding can fail (they hold a decimal or a millisecond timestamp).
    private(set) var throwingRecords: Set<Int> = []
    /// Schemas no Swift can represent (an empty union or enum), reported after the walk.
    private var problems: [String] = []

    init(schema: AvroSchema, definitions: [(file: SourceFile, types: [Int])], typeNames: [String: String]) throws(CodegenError) {
        self.schema = schema
        var diagnostics: [Diagnostic] = []
        var taken: [String: (fullName: String, file: String)] = [:]
        for (file, types) in definitions {
            for i in types {
                let node = schema[i]
                guard let name = node.name, Self.isGenerated(node) else { continue }
                let swiftName = typeNames[name.fullName] ?? SwiftNaming.typeName(name.name)
                if SwiftNaming.reservedTypeNames.contains(swiftName) {
                    diagnostics.append(
                        Diagnostic(
                            file: file.path,
                            message:
                                "type '\(name.fullName)' would be named '\(swiftName)', which Swift or generated code reserves; name it with \"typeNames\": {\"\(name.fullName)\": \"...\"} in canon-codegen.json"
                        ))
                } else if let other = taken[swiftName] {
                    diagnostics.append(
                        Diagnostic(
                            file: file.path,
                            message:
                                "types '\(other.fullName)' (\(other.file)) and '\(name.fullName)' would both be named '\(swiftName)'; name one with \"typeNames\": {\"\(name.fullName)\": \"...\"} in canon-codegen.json"
                        ))
                } else {
                    taken[swiftName] = (name.fullName, file.path)
                    names[i] = swiftName
                }
            }
        }
        for name in typeNames.keys.sorted() where schema.namedTypes[name] == nil {
            diagnostics.append(Diagnostic(file: CanonCodegen.configFileName, message: "typeNames names '\(name)', which no schema defines"))
        }
        guard diagnostics.isEmpty else { throw CodegenError(diagnostics: diagnostics) }
        for (file, types) in definitions {
            for i in types {
                guard case .record(let r) = schema[i] else { continue }
                fieldKinds[i] = r.fields.map { kind($0.type, owner: i, path: SwiftNaming.typeName($0.name)) }
                diagnostics += problems.map { Diagnostic(file: file.path, message: $0) }
                problems = []
            }
        }
        for (file, types) in definitions {
            for i in types {
                if case .enumeration(let e) = schema[i], e.symbols.isEmpty {
                    problems.append("enum '\(e.name.fullName)' has no symbols, so no value can be written")
                }
                if !problems.isEmpty {
                    diagnostics += problems.map { Diagnostic(file: file.path, message: $0) }
                    problems = []
                }
            }
        }
        guard diagnostics.isEmpty else { throw CodegenError(diagnostics: diagnostics) }
        computeBoxing()
        computeThrowing()
    }

    /// Whether a named node becomes a Swift type (a fixed carrying a logical type becomes that type).
    static func isGenerated(_ node: AvroSchema.Node) -> Bool {
        if case .fixed(let f) = node, f.logicalType != nil { return false }
        return true
    }

    // MARK: - Kinds

    private mutating func kind(_ index: Int, owner: Int, path: String) -> ValueKind {
        switch schema[index] {
        case .primitive(let p, let attributes):
            if let lt = attributes.logicalType, let k = Self.logical(lt, fixedSize: nil) { return .logical(k) }
            switch p {
            case .null: return .null
            case .boolean: return .boolean
            case .int: return .int
            case .long: return .long
            case .float: return .float
            case .double: return .double
            case .bytes: return .bytes
            case .string: return .string
            }
        case .fixed(let f):
            if let lt = f.logicalType, let k = Self.logical(lt, fixedSize: f.size) { return .logical(k) }
            return .fixed(index)
        case .record: return .record(index)
        case .enumeration: return .enumeration(index)
        case .array(let items, _): return .array(kind(items, owner: owner, path: path + "Item"))
        case .map(let values, _): return .map(kind(values, owner: owner, path: path + "Value"))
        case .union(let branches):
            let nullIndex = branches.firstIndex { if case .primitive(.null, _) = schema[$0] { return true } else { return false } }
            let others = branches.enumerated().filter { $0.offset != nullIndex }
            if others.isEmpty {
                if nullIndex == nil {
                    problems.append("\(schema[owner].name?.fullName ?? "a record"): a field's type is an empty union, which has no values")
                }
                return .nullUnion
            }
            if let nullIndex, others.count == 1 {
                return .optional(kind(others[0].element, owner: owner, path: path), nullIndex: nullIndex)
            }
            let baseNames = others.map { caseBaseName($0.element) }
            var caseNames = baseNames
            for (k, b) in baseNames.enumerated() where baseNames.filter({ $0 == b }).count > 1 {
                caseNames[k] =
                    schema[others[k].element].name.map { SwiftNaming.memberName($0.fullName.replacingOccurrences(of: ".", with: "_")) }
                    ?? "\(b)\(others[k].offset)"
            }
            for (k, c) in caseNames.enumerated() where caseNames.filter({ $0 == c }).count > 1 { caseNames[k] = "\(c)\(others[k].offset)" }
            let unionIndex = unions.count
            var unionName = path + "Union"
            var suffix = 2
            while unions.contains(where: { $0.owner == owner && $0.name == unionName }) {  // fields a_b and aB, say
                unionName = "\(path)\(suffix)Union"
                suffix += 1
            }
            unions.append(UnionModel(owner: owner, name: unionName, branches: [], nullIndex: nullIndex, branchCount: branches.count))
            let model = others.enumerated().map { k, branch in
                UnionModel.Branch(
                    caseName: SwiftNaming.escaped(caseNames[k]),
                    kind: kind(branch.element, owner: owner, path: path + SwiftNaming.typeName(caseNames[k])),
                    avroName: schema.branchName(branch.element), index: branch.offset)
            }
            unions[unionIndex].branches = model
            return .union(unionIndex, nullIndex: nullIndex)
        }
    }

    private func caseBaseName(_ index: Int) -> String {
        let node = schema[index]
        var fixedSize: Int?
        if case .fixed(let f) = node { fixedSize = f.size }
        if let lt = node.logicalType, Self.logical(lt, fixedSize: fixedSize) != nil {
            return SwiftNaming.memberName(lt.name.replacingOccurrences(of: "-", with: "_"))
        }
        if let name = node.name { return SwiftNaming.memberName(name.name) }
        return node.typeName
    }

    static func logical(_ lt: AvroSchema.LogicalType, fixedSize: Int?) -> LogicalKind? {
        switch lt {
        case .uuid: return fixedSize == nil ? .uuid : (fixedSize == 16 ? .uuidFixed : nil)
        case .decimal(let p, let s):
            return p <= AvroDecimal.maximumPrecision
                ? .decimal(precision: p, scale: s, fixedSize: fixedSize) : .bigDecimal(precision: p, scale: s, fixedSize: fixedSize)
        case .bigDecimal: return .bigDecimalVariable
        case .date: return .date
        case .timeMillis: return .timeMillis
        case .timeMicros: return .timeMicros
        case .timestampMillis: return .timestampMillis
        case .timestampMicros: return .timestampMicros
        case .timestampNanos: return .timestampNanos
        case .localTimestampMillis: return .localTimestampMillis
        case .localTimestampMicros: return .localTimestampMicros
        case .localTimestampNanos: return .localTimestampNanos
        case .duration: return fixedSize == 12 ? .duration : nil
        }
    }

    // MARK: - Recursion and failure

    /// Records a kind refers to directly (through collections, optionals and unions).
    func referencedRecords(_ kind: ValueKind) -> [Int] {
        switch kind {
        case .record(let i): return [i]
        case .array(let k), .map(let k), .optional(let k, _): return referencedRecords(k)
        case .union(let u, _): return unions[u].branches.flatMap { referencedRecords($0.kind) }
        default: return []
        }
    }

    private mutating func computeBoxing() {
        for start in fieldKinds.keys {
            var seen: Set<Int> = []
            var stack = fieldKinds[start]!.flatMap(referencedRecords)
            while let r = stack.popLast() {
                if r == start {
                    boxed.insert(start)
                    break
                }
                if seen.insert(r).inserted { stack += (fieldKinds[r] ?? []).flatMap(referencedRecords) }
            }
        }
    }

    private mutating func computeThrowing() {
        var changed = true
        while changed {
            changed = false
            for (r, kinds) in fieldKinds where !throwingRecords.contains(r) && kinds.contains(where: encodeThrows) {
                throwingRecords.insert(r)
                changed = true
            }
        }
    }

    /// Whether encoding a value of this kind can fail.
    func encodeThrows(_ kind: ValueKind) -> Bool {
        switch kind {
        case .logical(let l):
            switch l {
            case .timestampMillis, .decimal, .bigDecimal: return true
            default: return false
            }
        case .array(let k), .map(let k), .optional(let k, _): return encodeThrows(k)
        case .union(let u, _): return unions[u].branches.contains { encodeThrows($0.kind) }
        case .record(let i): return throwingRecords.contains(i)
        default: return false
        }
    }

    /// The fewest bytes a value of this kind takes, to bound block counts.
    func minimumSize(_ kind: ValueKind, visiting: Set<Int> = []) -> Int {
        switch kind {
        case .null: return 0
        case .nullUnion: return 1
        case .boolean, .int, .long, .bytes, .string, .array, .map, .optional, .union, .enumeration: return 1
        case .float: return 4
        case .double: return 8
        case .logical(let l):
            switch l {
            case .uuidFixed: return 16
            case .duration: return 12
            case .decimal(_, _, let size?), .bigDecimal(_, _, let size?): return size
            default: return 1
            }
        case .fixed(let i):
            if case .fixed(let f) = schema[i] { return f.size }
            return 0
        case .record(let i):
            guard !visiting.contains(i) else { return 0 }
            return (fieldKinds[i] ?? []).reduce(0) { $0 + minimumSize($1, visiting: visiting.union([i])) }
        }
    }
}
