import CanonCore

/// Reads data written with one schema into the shape of another: the spec's schema resolution.
///
/// The resolution is planned once, when the resolver is made: every (writer type, reader type) pair
/// becomes one step (promotions, field moves and skips, defaults decoded ahead, enum symbol maps, union
/// branch choices). Decoding a datum then follows the steps. Keep a resolver (or an
/// ``AvroResolverCache``) per pair; do not make one per record.
///
/// A pair that cannot be resolved at some place (a type mismatch, an enum symbol the reader lacks
/// without a default) fails only when a datum reaches that place, with an error naming it: a writer
/// union's unreadable branch is a problem only for data that uses it.
public struct AvroResolver: Sendable {
    public let writer: AvroSchema
    public let reader: AvroSchema
    private let steps: [Step]
    /// The writer node each step reads, for block-count checks.
    private let stepWriterNodes: [Int]
    private let root: Int

    indirect enum Step: Sendable {
        /// Same primitive on both sides: the reader node, read by the reader schema's own codec.
        case primitive(readerNode: Int)
        /// A promotion (int -> long, ..., string <-> bytes).
        case promote(from: AvroSchema.Primitive, to: AvroSchema.Primitive)
        case fixed(size: Int)
        /// Writer enum index -> reader symbol (nil: not in the reader and no default).
        case enumeration(symbols: [String?], writerSymbols: [String], readerName: String)
        case array(items: Int)
        case map(values: Int)
        /// For each writer field in order: the reader field it fills and its step, or nil to skip it
        /// (writer node index). Then defaults for the reader fields the writer lacks.
        case record(fields: [FieldMove], readerFieldNames: [String], defaults: [(index: Int, value: AvroValue)])
        /// A writer union: the step for each branch (an `.unreadable` step fails when data uses it).
        case writerUnion(branches: [Int])
        /// A non-union writer read into branch `branch` of a reader union.
        case intoReaderUnion(branch: Int, step: Int)
        /// A place the reader cannot read; fails when a datum reaches it.
        case unreadable(String)
    }

    struct FieldMove: Sendable {
        var readerIndex: Int?
        var step: Int
        /// The writer field's node, for skipping.
        var writerNode: Int
    }

    /// Plans the resolution of data written with `writer` into `reader`. Throws only when the two
    /// schemas pair up deeper than ``AvroCompatibilityChecker/maximumPairDepth``.
    public init(writer: AvroSchema, reader: AvroSchema) throws(AvroError) {
        self.writer = writer
        self.reader = reader
        var planner = Planner(writer: writer, reader: reader)
        root = planner.plan(writer.root, reader.root)
        if planner.tooDeep { throw AvroCompatibilityChecker.tooDeepError() }
        steps = planner.steps
        stepWriterNodes = planner.writerNodes
    }

    /// Decodes one datum that fills `bytes` (written with `writer`) into the reader's shape.
    public func decode(_ bytes: [UInt8], limits: AvroDecodingLimits = .default) throws(AvroError) -> AvroValue {
        try AvroBinaryReader.readingAll(bytes, limits: limits) { (r) throws(AvroError) -> AvroValue in try decode(from: &r) }
    }

    /// Decodes one datum from the reader's position into the reader's shape.
    public func decode(from r: inout AvroBinaryReader) throws(AvroError) -> AvroValue {
        r.totalSize = 0
        return try run(root, &r)
    }

    private func run(_ index: Int, _ r: inout AvroBinaryReader) throws(AvroError) -> AvroValue {
        switch steps[index] {
        case .primitive(let node):
            return try reader.decodeNode(node, &r)
        case .promote(let from, let to):
            switch (from, to) {
            case (.int, .long): return .long(Int64(try r.readInt()))
            case (.int, .float): return .float(Float(try r.readInt()))
            case (.int, .double): return .double(Double(try r.readInt()))
            case (.long, .float): return .float(Float(try r.readLong()))
            case (.long, .double): return .double(Double(try r.readLong()))
            case (.float, .double): return .double(Double(try r.readFloat()))
            case (.string, .bytes): return .bytes(Array(try r.readString().utf8))
            case (.bytes, .string):
                let start = r.offset
                let bytes = try r.readBytes()
                guard let s = String(validating: bytes, as: UTF8.self) else {
                    throw .data(.malformedData, "bytes read as a string are not valid UTF-8", offset: start)
                }
                return .string(s)
            default: preconditionFailure("unplanned promotion \(from) -> \(to)")
            }
        case .fixed(let size):
            return .fixed(try r.readFixed(size: size))
        case .enumeration(let symbols, let writerSymbols, let readerName):
            let start = r.offset
            let i = try r.readEnumIndex(symbolCount: symbols.count)
            guard let symbol = symbols[i] else {
                throw .data(
                    .datumMismatch, "enum symbol '\(writerSymbols[i])' is not in reader enum '\(readerName)', which has no default",
                    offset: start)
            }
            return .enumSymbol(symbol)
        case .array(let items):
            try r.enter()
            var values: [AvroValue] = []
            let minSize = Int(writer.plan.ops[writerNode(of: items)].minimumSize)
            while true {
                let count = try r.readBlockCount(minimumItemSize: minSize, itemsSoFar: values.count)
                if count == 0 { break }
                try r.account(32 * count)
                values.reserveCapacity(values.count + (minSize > 0 ? count : min(count, 1024)))
                for _ in 0..<count { values.append(try run(items, &r)) }
            }
            r.leave()
            return .array(values)
        case .map(let valuesStep):
            try r.enter()
            var map = AvroMap<AvroValue>()
            let minSize = 1 + Int(writer.plan.ops[writerNode(of: valuesStep)].minimumSize)
            while true {
                let count = try r.readBlockCount(minimumItemSize: minSize, itemsSoFar: map.count)
                if count == 0 { break }
                try r.account(64 * count)
                map.reserveCapacity(map.count + count)
                for _ in 0..<count {
                    let key = try r.readString("map key")
                    map.append(key: key, value: try run(valuesStep, &r))
                }
            }
            r.leave()
            return .map(map)
        case .record(let moves, let names, let defaults):
            try r.enter()
            try r.account(32 * names.count)
            var slots = [AvroValue?](repeating: nil, count: names.count)
            for move in moves {
                if let target = move.readerIndex {
                    slots[target] = try run(move.step, &r)
                } else {
                    try writer.skipNode(move.writerNode, &r)
                }
            }
            for d in defaults { slots[d.index] = d.value }
            var fields = AvroMap<AvroValue>(minimumCapacity: names.count)
            for (i, name) in names.enumerated() {
                // Every reader field is filled by a writer field or a default, or the plan is `.unreadable`.
                fields.append(key: name, value: slots[i] ?? .null)
            }
            r.leave()
            return .record(fields)
        case .writerUnion(let branches):
            try r.enter()
            let b = try r.readUnionIndex(branchCount: branches.count)
            let value = try run(branches[b], &r)
            r.leave()
            return value
        case .intoReaderUnion(let branch, let step):
            return .union(branch: branch, try run(step, &r))
        case .unreadable(let why):
            throw .data(.datumMismatch, why, offset: r.offset)
        }
    }

    /// The writer node a step reads (for minimum sizes).
    private func writerNode(of step: Int) -> Int { stepWriterNodes[step] }
}

/// Builds the steps of a resolver, one per (writer node, reader node) pair, recursion included.
private struct Planner {
    let writer: AvroSchema
    let reader: AvroSchema
    var steps: [AvroResolver.Step] = []
    var writerNodes: [Int] = []
    var memo: [Pair: Int] = [:]
    var depth = 0
    var tooDeep = false

    struct Pair: Hashable {
        var writer: Int
        var reader: Int
    }

    init(writer: AvroSchema, reader: AvroSchema) {
        self.writer = writer
        self.reader = reader
    }

    mutating func plan(_ w: Int, _ r: Int) -> Int {
        let pair = Pair(writer: w, reader: r)
        if let known = memo[pair] { return known }
        let index = steps.count
        steps.append(.unreadable("unplanned"))
        writerNodes.append(w)
        memo[pair] = index
        depth += 1
        defer { depth -= 1 }
        if depth > AvroCompatibilityChecker.maximumPairDepth || tooDeep {
            tooDeep = true
            return index
        }
        steps[index] = makeStep(w, r)
        return index
    }

    private mutating func makeStep(_ w: Int, _ r: Int) -> AvroResolver.Step {
        let wn = writer.nodes[w], rn = reader.nodes[r]
        switch (wn, rn) {
        case (.union(let writerBranches), _):
            // Each writer branch is resolved against the whole reader type. (A step may still be being
            // planned here, for recursive types: only decoding looks at what it became.)
            return .writerUnion(branches: writerBranches.map { plan($0, r) })
        case (_, .union(let readerBranches)):
            guard let b = bestBranch(w, readerBranches) else {
                return .unreadable(
                    "no branch of reader union [\(readerBranches.map(reader.branchName).joined(separator: ", "))] reads writer type '\(writer.branchName(w))'"
                )
            }
            return .intoReaderUnion(branch: b, step: plan(w, readerBranches[b]))
        case (.primitive(let wp, _), .primitive(let rp, _)):
            if wp == rp { return .primitive(readerNode: r) }
            if ResolutionRules.promotes(wp, to: rp) { return .promote(from: wp, to: rp) }
            return mismatch(wn, rn)
        case (.fixed(let wf), .fixed(let rf)):
            guard namesMatch(rf.name, rf.aliases, wf.name) else { return mismatch(wn, rn) }
            guard wf.size == rf.size else {
                return .unreadable("fixed '\(rf.name)' has size \(rf.size) but the writer's '\(wf.name)' has size \(wf.size)")
            }
            return .fixed(size: rf.size)
        case (.enumeration(let we), .enumeration(let re)):
            guard namesMatch(re.name, re.aliases, we.name) else { return mismatch(wn, rn) }
            let symbols: [String?] = we.symbols.map { s in re.symbols.contains(s) ? s : re.defaultSymbol }
            return .enumeration(symbols: symbols, writerSymbols: we.symbols, readerName: re.name.fullName)
        case (.array(let wi, _), .array(let ri, _)):
            return .array(items: plan(wi, ri))
        case (.map(let wv, _), .map(let rv, _)):
            return .map(values: plan(wv, rv))
        case (.record(let wr), .record(let rr)):
            guard namesMatch(rr.name, rr.aliases, wr.name) else { return mismatch(wn, rn) }
            // Reader field for each writer field (by name, or a reader field's alias).
            var targets = [Int?](repeating: nil, count: wr.fields.count)
            var defaults: [(index: Int, value: AvroValue)] = []
            for (ri, field) in rr.fields.enumerated() {
                if let wf = ResolutionRules.writerFieldIndex(for: field, in: wr) {
                    if let other = targets[wf] {
                        return .unreadable(
                            "reader fields '\(rr.fields[other].name)' and '\(field.name)' of '\(rr.name)' both read writer field '\(wr.fields[wf].name)'"
                        )
                    }
                    targets[wf] = ri
                } else if let d = field.defaultValue {
                    guard let value = try? AvroJSON.decodeDefault(d, schema: reader.rooted(at: field.type)) else {
                        return .unreadable("the default of reader field '\(field.name)' does not match its type")
                    }
                    defaults.append((ri, value))
                } else {
                    return .unreadable(
                        "reader field '\(field.name)' of '\(rr.name)' is not in the writer's record '\(wr.name)' and has no default")
                }
            }
            var moves: [AvroResolver.FieldMove] = []
            for (wi, wf) in wr.fields.enumerated() {
                if let ri = targets[wi] {
                    moves.append(.init(readerIndex: ri, step: plan(wf.type, rr.fields[ri].type), writerNode: wf.type))
                } else {
                    moves.append(.init(readerIndex: nil, step: -1, writerNode: wf.type))
                }
            }
            return .record(fields: moves, readerFieldNames: rr.fields.map(\.name), defaults: defaults)
        default:
            return mismatch(wn, rn)
        }
    }

    private func mismatch(_ wn: AvroSchema.Node, _ rn: AvroSchema.Node) -> AvroResolver.Step {
        let w = wn.name.map { "\(wn.typeName) '\($0)'" } ?? wn.typeName
        let r = rn.name.map { "\(rn.typeName) '\($0)'" } ?? rn.typeName
        return .unreadable("reader type \(r) cannot read writer type \(w)")
    }

    private func namesMatch(_ readerName: AvroSchema.Name, _ aliases: [String], _ writerName: AvroSchema.Name) -> Bool {
        readerName.name == writerName.name || aliases.contains(writerName.fullName)
    }

    /// The reader union branch for a non-union writer type: the first of the same type (a named type with
    /// the same full name, or a reader alias naming the writer's type, at once; else a record that reads
    /// the writer's (the checker's rules, names included), preferring one with the same unqualified name;
    /// else an enum or fixed with the same unqualified name), then the first the writer type promotes to.
    /// Like Java, an exact type wins over a promotion even when the promotion's branch comes first
    /// (fastavro takes the first branch it can use).
    private func bestBranch(_ w: Int, _ branches: [Int]) -> Int? {
        let wn = writer.nodes[w]
        var structureMatch: Int?
        var shortNameMatch: Int?
        for (i, b) in branches.enumerated() {
            let bn = reader.nodes[b]
            switch (wn, bn) {
            case (.primitive(let wp, _), .primitive(let bp, _)) where wp == bp: return i
            case (.array, .array), (.map, .map): return i
            case (.record, .record), (.enumeration, .enumeration), (.fixed, .fixed):
                // Java applies the reader's aliases to the writer's schema first: an alias is the same name.
                if wn.name?.fullName == bn.name?.fullName || reader.plan.aliases[b].contains(writer.plan.fullNames[w]) { return i }
                let sameShortName = wn.name?.name == bn.name?.name
                if case .record = wn {
                    if structureMatch == nil || sameShortName,
                        (try? reader.rooted(at: b).canRead(dataWrittenWith: writer.rooted(at: w))) ?? false
                    {
                        structureMatch = i
                    }
                } else if shortNameMatch == nil, sameShortName {
                    shortNameMatch = i
                }
            default: break
            }
        }
        if let s = structureMatch ?? shortNameMatch { return s }
        if case .primitive(let wp, _) = wn {
            for (i, b) in branches.enumerated() {
                if case .primitive(let bp, _) = reader.nodes[b], ResolutionRules.promotes(wp, to: bp) { return i }
            }
        }
        return nil
    }
}

/// Resolvers by (writer, reader) pair, so that a pair is planned once however many records use it.
///
/// Keys are the schemas' full renderings (their identity); a registry may key by schema IDs instead
/// through ``resolver(writerKey:readerKey:make:)``. A value type: give each task its own, or wrap it in
/// the caller's own synchronization.
public struct AvroResolverCache: Sendable {
    private var resolvers: [Key: AvroResolver] = [:]

    struct Key: Hashable, Sendable {
        var writer: String
        var reader: String
    }

    public init() {}

    /// Number of planned pairs.
    public var count: Int { resolvers.count }

    /// The resolver for data written with `writer` read as `reader`, planned on first use.
    public mutating func resolver(writer: AvroSchema, reader: AvroSchema) throws(AvroError) -> AvroResolver {
        try resolver(writerKey: writer.fullRendering, readerKey: reader.fullRendering) { () throws(AvroError) in
            try AvroResolver(writer: writer, reader: reader)
        }
    }

    /// The resolver stored under caller-chosen keys (e.g. registry schema IDs), made by `make` on first use.
    public mutating func resolver(writerKey: String, readerKey: String, make: () throws(AvroError) -> AvroResolver) throws(AvroError)
        -> AvroResolver
    {
        let key = Key(writer: writerKey, reader: readerKey)
        if let known = resolvers[key] { return known }
        let made = try make()
        resolvers[key] = made
        return made
    }
}
