import CanonCore

/// One change from an old version of a schema to a new one, in Avro's vocabulary (a field added with a
/// default, a type promoted, an enum symbol removed, ...), for code review: `canon schema diff`.
public struct AvroSchemaChange: Sendable, Hashable, CustomStringConvertible {
    /// What changed.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case fieldAdded = "field added"
        case fieldRemoved = "field removed"
        case fieldRenamed = "field renamed"
        case typePromoted = "type promoted"
        case typeChanged = "type changed"
        case logicalTypeChanged = "logical type changed"
        case defaultAdded = "default added"
        case defaultRemoved = "default removed"
        case defaultChanged = "default changed"
        case symbolAdded = "enum symbol added"
        case symbolRemoved = "enum symbol removed"
        case symbolsReordered = "enum symbols reordered"
        case enumDefaultChanged = "enum default changed"
        case sizeChanged = "fixed size changed"
        case branchAdded = "union branch added"
        case branchRemoved = "union branch removed"
        case branchesReordered = "union branches reordered"
        case nameChanged = "name changed"
        case aliasesChanged = "aliases changed"
        case docChanged = "doc changed"
        case orderChanged = "sort order changed"
        case propertiesChanged = "properties changed"
    }

    public var kind: Kind
    /// Where: the type's full name, then fields (`com.acme.Order.items[].price`); `[]` an array's items,
    /// `{}` a map's values, `<type>` a union branch.
    public var path: String
    /// The change in words (`int -> long`, `with default "EUR"`).
    public var detail: String

    public init(kind: Kind, path: String, detail: String) {
        self.kind = kind
        self.path = path
        self.detail = detail
    }

    public var description: String { "\(path): \(kind.rawValue)\(detail.isEmpty ? "" : ": \(detail)")" }
}

extension AvroSchema {
    /// The changes from `self` (the old version) to `new`, in walk order: each named type once, its
    /// fields in the new schema's order, removed fields after them.
    public func changes(to new: AvroSchema) -> [AvroSchemaChange] {
        var walk = DiffWalk(old: self, new: new)
        walk.compare(root, new.root, path: rootNode.name?.fullName ?? new.rootNode.name?.fullName ?? "(root)")
        return walk.changes
    }
}

/// The pairwise walk behind ``AvroSchema/changes(to:)``; a pair of named types is compared once, so
/// recursive types end.
struct DiffWalk {
    let old: AvroSchema
    let new: AvroSchema
    var changes: [AvroSchemaChange] = []
    var visited: Set<[Int]> = []

    init(old: AvroSchema, new: AvroSchema) {
        self.old = old
        self.new = new
    }

    mutating func add(_ kind: AvroSchemaChange.Kind, _ path: String, _ detail: String = "") {
        changes.append(AvroSchemaChange(kind: kind, path: path, detail: detail))
    }

    /// A short name of a type: its full name, its primitive, `array<...>`, `map<...>`, `[a, b]`.
    func describe(_ schema: AvroSchema, _ i: Int, depth: Int = 0) -> String {
        let node = schema[i]
        if let name = node.name { return name.fullName }
        guard depth < 3 else { return node.typeName }
        var text: String
        switch node {
        case .array(let items, _): text = "array<\(describe(schema, items, depth: depth + 1))>"
        case .map(let values, _): text = "map<\(describe(schema, values, depth: depth + 1))>"
        case .union(let branches): text = "[" + branches.map { describe(schema, $0, depth: depth + 1) }.joined(separator: ", ") + "]"
        default: text = node.typeName
        }
        if let logical = node.logicalType { text += " (\(Self.logicalName(logical)))" }
        return text
    }

    /// A logical type's name, with a decimal's precision and scale.
    static func logicalName(_ logical: AvroSchema.LogicalType) -> String {
        if case .decimal(let p, let s) = logical { return "decimal(\(p), \(s))" }
        return logical.name
    }

    /// Two types stand for "the same branch" of a union: the same name, or the same unnamed kind.
    func sameBranch(_ o: Int, _ n: Int) -> Bool {
        let a = old[o], b = new[n]
        if let x = a.name, let y = b.name { return x == y || Self.aliases(of: b).contains(x.fullName) }
        return a.name == nil && b.name == nil && a.typeName == b.typeName
    }

    static func aliases(of node: AvroSchema.Node) -> [String] {
        switch node {
        case .record(let r): return r.aliases
        case .enumeration(let e): return e.aliases
        case .fixed(let f): return f.aliases
        default: return []
        }
    }

    mutating func compare(_ o: Int, _ n: Int, path: String) {
        let a = old[o], b = new[n]
        switch (a, b) {
        case (.union(let ob), .union(let nb)):
            var matched: [Int: Int] = [:]  // new branch -> old branch
            for n2 in nb { if let o2 = ob.first(where: { sameBranch($0, n2) && !matched.values.contains($0) }) { matched[n2] = o2 } }
            // A primitive branch replaced by one it promotes to (int -> long) is a promotion, not a swap.
            for n2 in nb where matched[n2] == nil {
                guard case .primitive(let q, _) = new[n2] else { continue }
                if let o2 = ob.first(where: { o2 in
                    guard !matched.values.contains(o2), case .primitive(let p, _) = old[o2] else { return false }
                    return ResolutionRules.promotes(p, to: q)
                }) {
                    matched[n2] = o2
                }
            }
            for n2 in nb {
                if let o2 = matched[n2] {
                    compare(o2, n2, path: "\(path)<\(describe(new, n2))>")
                } else {
                    add(.branchAdded, path, describe(new, n2))
                }
            }
            for o2 in ob where !matched.values.contains(o2) { add(.branchRemoved, path, describe(old, o2)) }
            let kept = nb.compactMap { matched[$0] }
            if kept != ob.filter({ kept.contains($0) }) {
                add(.branchesReordered, path, "\(describe(old, o)) -> \(describe(new, n)) (a field's default must match the first branch)")
            }
            return
        case (_, .union(let nb)):
            if let n2 = nb.first(where: { sameBranch(o, $0) }) {
                add(.typeChanged, path, "\(describe(old, o)) -> \(describe(new, n))")
                compare(o, n2, path: "\(path)<\(describe(new, n2))>")
            } else {
                add(.typeChanged, path, "\(describe(old, o)) -> \(describe(new, n))")
            }
            return
        case (.union(let ob), _):
            add(.typeChanged, path, "\(describe(old, o)) -> \(describe(new, n))")
            if let o2 = ob.first(where: { sameBranch($0, n) }) { compare(o2, n, path: path) }
            return
        default:
            break
        }
        if a.typeName != b.typeName {
            if case .primitive(let p, _) = a, case .primitive(let q, _) = b, ResolutionRules.promotes(p, to: q) {
                add(.typePromoted, path, "\(p.rawValue) -> \(q.rawValue)")
            } else {
                add(.typeChanged, path, "\(describe(old, o)) -> \(describe(new, n))")
            }
            return
        }
        if a.logicalType != b.logicalType {
            add(
                .logicalTypeChanged, path,
                "\(a.logicalType.map(Self.logicalName) ?? "none") -> \(b.logicalType.map(Self.logicalName) ?? "none")")
        }
        if let x = a.name, let y = b.name {
            guard visited.insert([o, n]).inserted else { return }
            if x != y {
                add(
                    .nameChanged, path,
                    "\(x.fullName) -> \(y.fullName)\(Self.aliases(of: b).contains(x.fullName) ? " (the old name is an alias)" : "")")
            }
            let (oa, na) = (Self.aliases(of: a), Self.aliases(of: b))
            if oa != na { add(.aliasesChanged, path, "\(oa) -> \(na)") }
        }
        switch (a, b) {
        case (.record(let r), .record(let s)):
            if r.doc != s.doc { add(.docChanged, path) }
            if r.properties != s.properties { add(.propertiesChanged, path) }
            compareFields(r, s, path: path)
        case (.enumeration(let e), .enumeration(let f)):
            if e.doc != f.doc { add(.docChanged, path) }
            for symbol in f.symbols where !e.symbols.contains(symbol) { add(.symbolAdded, path, symbol) }
            for symbol in e.symbols where !f.symbols.contains(symbol) { add(.symbolRemoved, path, symbol) }
            let kept = f.symbols.filter(e.symbols.contains)
            if kept != e.symbols.filter(f.symbols.contains) { add(.symbolsReordered, path, "\(e.symbols) -> \(f.symbols)") }
            if e.defaultSymbol != f.defaultSymbol {
                add(.enumDefaultChanged, path, "\(e.defaultSymbol ?? "none") -> \(f.defaultSymbol ?? "none")")
            }
        case (.fixed(let e), .fixed(let f)):
            if e.size != f.size { add(.sizeChanged, path, "\(e.size) -> \(f.size) bytes") }
        case (.array(let x, _), .array(let y, _)):
            compare(x, y, path: "\(path)[]")
        case (.map(let x, _), .map(let y, _)):
            compare(x, y, path: "\(path){}")
        default:
            break
        }
    }

    mutating func compareFields(_ r: AvroSchema.Record, _ s: AvroSchema.Record, path: String) {
        var matchedOld: Set<String> = []
        for field in s.fields {
            let fieldPath = "\(path).\(field.name)"
            let match = r.fields.first { $0.name == field.name } ?? r.fields.first { field.aliases.contains($0.name) }
            guard let previous = match else {
                add(
                    .fieldAdded, fieldPath,
                    "\(describe(new, field.type)), " + (field.defaultValue.map { "default \($0.jsonText)" } ?? "no default"))
                continue
            }
            matchedOld.insert(previous.name)
            if previous.name != field.name { add(.fieldRenamed, fieldPath, "from '\(previous.name)' (kept as an alias)") }
            compare(previous.type, field.type, path: fieldPath)
            switch (previous.defaultValue, field.defaultValue) {
            case (nil, let d?): add(.defaultAdded, fieldPath, d.jsonText)
            case (let d?, nil): add(.defaultRemoved, fieldPath, "was \(d.jsonText)")
            case (let d?, let e?) where d != e: add(.defaultChanged, fieldPath, "\(d.jsonText) -> \(e.jsonText)")
            default: break
            }
            if previous.doc != field.doc { add(.docChanged, fieldPath) }
            if previous.order != field.order { add(.orderChanged, fieldPath, "\(previous.order.rawValue) -> \(field.order.rawValue)") }
        }
        for field in r.fields where !matchedOld.contains(field.name) {
            add(
                .fieldRemoved, "\(path).\(field.name)",
                "\(describe(old, field.type)), " + (field.defaultValue.map { "had default \($0.jsonText)" } ?? "had no default"))
        }
    }
}
