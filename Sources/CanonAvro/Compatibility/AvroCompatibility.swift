import CanonCore

/// One reason a reader schema cannot read every datum of a writer schema, as Apache Avro Java's
/// `SchemaCompatibility` reports it (and so Confluent Schema Registry).
public struct AvroIncompatibility: Sendable, Hashable, CustomStringConvertible {
    /// Avro Java's `SchemaIncompatibilityType`.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case nameMismatch = "NAME_MISMATCH"
        case fixedSizeMismatch = "FIXED_SIZE_MISMATCH"
        case missingEnumSymbols = "MISSING_ENUM_SYMBOLS"
        case readerFieldMissingDefaultValue = "READER_FIELD_MISSING_DEFAULT_VALUE"
        case typeMismatch = "TYPE_MISMATCH"
        case missingUnionBranch = "MISSING_UNION_BRANCH"
    }

    public var kind: Kind
    /// Avro Java's message: `reader type: INT not compatible with writer type: LONG`, the field name
    /// for a missing default, `[C, D]` for missing symbols, `expected: a.B` for a name mismatch.
    public var message: String
    /// A JSON pointer into the reader schema (`/fields/2/type/items`).
    public var location: String

    public init(kind: Kind, message: String, location: String) {
        self.kind = kind
        self.message = message
        self.location = location
    }

    public var description: String { "\(kind.rawValue) at \(location): \(message)" }

    /// The sentence Confluent Schema Registry writes for this incompatibility, with the schemas named by role.
    public func confluentDescription(reader: SchemaRole, writer: SchemaRole) -> String {
        let r = reader.rawValue, w = writer.rawValue
        switch kind {
        case .fixedSizeMismatch:
            return "The size of FIXED type field at path '\(location)' in the \(r) schema does not match with the \(w) schema"
        case .typeMismatch:
            return "The type (path '\(location)') of a field in the \(r) schema does not match with the \(w) schema"
        case .nameMismatch:
            return "The name of the schema has changed (path '\(location)')"
        case .missingEnumSymbols:
            return "The \(r) schema is missing enum symbols '\(message)' at path '\(location)' in the \(w) schema"
        case .missingUnionBranch:
            return "The \(r) schema is missing a type inside a union field at path '\(location)' in the \(w) schema"
        case .readerFieldMissingDefaultValue:
            return "The field '\(message)' at path '\(location)' in the \(r) schema has no default value and is missing in the \(w) schema"
        }
    }
}

extension AvroSchema {
    /// Everything that stops this schema, as the reader, from reading every datum written with `writer`;
    /// empty when it can. All incompatibilities are collected, in the order and with the locations of
    /// Apache Avro Java's `SchemaCompatibility.checkReaderWriterCompatibility` (the checker Confluent
    /// Schema Registry runs). Logical types follow their underlying types, as in Java.
    ///
    /// Throws when the pair of schemas nests deeper than ``AvroCompatibilityChecker/maximumPairDepth``
    /// (recursive types whose cycles have different lengths can do that), or when the check takes more
    /// than `maximumSteps` pairs of types: no verdict can be given.
    public func incompatibilities(
        readingDataWrittenWith writer: AvroSchema, maximumSteps: Int = AvroCompatibilityChecker.defaultMaximumSteps
    ) throws(AvroError) -> [AvroIncompatibility] {
        var checker = CompatibilityWalk(reader: self, writer: writer, maximumSteps: maximumSteps)
        var location: [CompatibilityWalk.Token] = []
        location.reserveCapacity(32)
        let result = checker.compatibility(token: .root, root, writer.root, &location)
        if checker.tooDeep { throw AvroCompatibilityChecker.tooDeepError() }
        if checker.overBudget { throw AvroCompatibilityChecker.overBudgetError(maximumSteps) }
        return result
    }

    /// Whether this schema, as the reader, can read every datum written with `writer`.
    public func canRead(dataWrittenWith writer: AvroSchema) throws(AvroError) -> Bool {
        try incompatibilities(readingDataWrittenWith: writer).isEmpty
    }
}

/// The Avro format's reader/writer check for the level logic in `CanonCore`.
public struct AvroCompatibilityChecker: CompatibilityChecker, Sendable {
    /// The deepest nesting of (reader type, writer type) pairs a check or a resolution plan follows.
    /// Ordinary schemas stay far below it (types nest at most 128 deep); recursive types whose cycles
    /// differ in length can pair up much deeper, and such a pair is refused rather than overflowing the stack.
    public static let maximumPairDepth = 400

    static func tooDeepError() -> AvroError {
        AvroError(
            .invalidSchema,
            "the reader and writer schemas pair up more than \(maximumPairDepth) types deep (recursive types with cycles of different lengths); they cannot be compared"
        )
    }

    /// The default work budget of one check: pairs of (reader type, writer type) visited. Ordinary
    /// schemas need a few thousand; unions whose branches match by name stay linear; only unions whose
    /// branches must be tried pairwise (renamed named types, aliases) grow quadratically, and are
    /// refused past this rather than holding a core for minutes.
    public static let defaultMaximumSteps = SchemaCompatibilityChecker.defaultBudget

    /// Pairs of types one check may visit before it is refused (see ``defaultMaximumSteps``).
    public var maximumSteps: Int

    static func overBudgetError(_ steps: Int) -> AvroError {
        AvroError(
            .invalidSchema,
            "checking compatibility needs more than \(steps) steps (pairs of types compared; union branches that do not match by name are tried pairwise); refused. The limit is the registry's compatibility budget"
        )
    }

    public init(maximumSteps: Int = defaultMaximumSteps) {
        self.maximumSteps = maximumSteps
    }

    public func incompatibilities(reader: AvroSchema, writer: AvroSchema, readerRole: SchemaRole) throws -> [CompatibilityMessage] {
        let writerRole: SchemaRole = readerRole == .new ? .old : .new
        return try reader.incompatibilities(readingDataWrittenWith: writer, maximumSteps: maximumSteps).map {
            CompatibilityMessage(
                errorType: $0.kind.rawValue, description: $0.confluentDescription(reader: readerRole, writer: writerRole),
                additionalInfo: $0.message)
        }
    }

    public func text(of schema: AvroSchema) -> String { schema.fullRendering }
}

/// The walk over a (reader, writer) pair of schema graphs. Pairs of named types are memoized, and a
/// pair met again while it is being checked counts as compatible (recursive types are compatible unless
/// proven not). The walk reads the schemas' flat codec plans and builds no strings unless it finds an
/// incompatibility.
struct CompatibilityWalk {
    let reader: AvroSchema
    let writer: AvroSchema
    let rp: CodecPlan
    let wp: CodecPlan
    /// (reader node << 32 | writer node) -> result; nil while in progress.
    private var memo: [Int: [AvroIncompatibility]?] = [:]
    /// Pairs being checked, nested; past `maximumPairDepth` the walk stops and `tooDeep` is set.
    private var depth = 0
    private(set) var tooDeep = false
    /// Pairs visited; past `maximumSteps` the walk stops and `overBudget` is set.
    private var steps = 0
    private let maximumSteps: Int
    private(set) var overBudget = false
    /// Per reader union node: its named branches by full name, built when first needed.
    private var namedBranches: [Int: [String: Int]] = [:]

    /// One step of a location; the JSON pointer is written only for an incompatibility.
    enum Token {
        case root
        case key(StaticString)
        case index(Int)
    }

    init(reader: AvroSchema, writer: AvroSchema, maximumSteps: Int = AvroCompatibilityChecker.defaultMaximumSteps) {
        self.reader = reader
        self.writer = writer
        self.maximumSteps = maximumSteps
        rp = reader.plan
        wp = writer.plan
    }

    /// Checks a pair, pushing `token` onto the location while it does.
    mutating func compatibility(token: Token, _ r: Int, _ w: Int, _ location: inout [Token]) -> [AvroIncompatibility] {
        guard enter(r, w) else { return [] }
        defer { depth -= 1 }
        location.append(token)
        defer { location.removeLast() }
        switch rp.ops[r].kind {
        case .record, .enumeration, .fixed:
            let key = r << 32 | w
            if let known = memo[key] {
                return known ?? []  // nil: in progress
            }
            memo[key] = .some(nil)
            let result = calculate(r, w, &location)
            memo[key] = result
            return result
        default:
            return calculate(r, w, &location)
        }
    }

    /// Whether `r` reads `w`, for the union trials, where only the verdict counts. Named pairs go
    /// through the memoized walk exactly as `compatibility` would visit them (so what is memoized, with
    /// its locations, is what Java memoizes); other pairs build no messages. A `.root` token starts a
    /// fresh location (as Java does for union branches) on the same stack.
    private mutating func reads(token: Token, _ r: Int, _ w: Int, _ location: inout [Token]) -> Bool {
        guard enter(r, w) else { return true }
        defer { depth -= 1 }
        let ro = rp.ops[r], wo = wp.ops[w]
        switch ro.kind {
        case .record, .enumeration, .fixed: return compatibility(token: token, r, w, &location).isEmpty
        default: break
        }
        location.append(token)
        defer { location.removeLast() }
        if ro.kind == wo.kind {
            switch ro.kind {
            case .array: return reads(token: .key("items"), Int(ro.a), Int(wo.a), &location)
            case .map: return reads(token: .key("values"), Int(ro.a), Int(wo.a), &location)
            case .union:
                var all = true
                for i in 0..<Int(wo.b) {
                    all = reads(token: .root, r, Int(wp.branches[Int(wo.a) + i]), &location) && all
                }
                return all
            default: return true
            }
        }
        if wo.kind == .union {
            // Every branch is visited, as the full check does, so that named pairs are memoized alike.
            var all = true
            for i in 0..<Int(wo.b) {
                all = reads(token: .index(i), r, Int(wp.branches[Int(wo.a) + i]), &location) && all
            }
            return all
        }
        if ro.kind == .union {
            if let b = sameNameBranch(union: r, writer: w), reads(token: .root, b, w, &location) { return true }
            for i in 0..<Int(ro.b) where reads(token: .root, Int(rp.branches[Int(ro.a) + i]), w, &location) { return true }
            return false
        }
        if let rprim = Self.primitive(ro.kind), let wprim = Self.primitive(wo.kind) {
            return ResolutionRules.promotes(wprim, to: rprim)
        }
        return false
    }

    /// Whether to walk the pair `r`, `w` (one level deeper, counted against the budget): false when
    /// their structures are identical (nothing to find), or the walk stopped (too deep, over budget).
    /// On true the caller is one level deeper and steps back out (`depth -= 1`) when done.
    private mutating func enter(_ r: Int, _ w: Int) -> Bool {
        if identical(r, w) || tooDeep || overBudget { return false }
        steps += 1
        if steps > maximumSteps {
            overBudget = true
            return false
        }
        depth += 1
        if depth > AvroCompatibilityChecker.maximumPairDepth {
            depth -= 1
            tooDeep = true
            return false
        }
        return true
    }

    /// The branch of reader union `r` with the full name of the writer's named type `w`, if any: tried
    /// first (as Java's resolver picks a branch), so that unions of many named types match in linear
    /// time; the verdict is the same, since the pairwise trial after it accepts any branch that reads.
    private mutating func sameNameBranch(union r: Int, writer w: Int) -> Int? {
        switch wp.ops[w].kind {
        case .record, .enumeration, .fixed: break
        default: return nil
        }
        if namedBranches[r] == nil {
            var byName: [String: Int] = [:]
            let ro = rp.ops[r]
            for i in 0..<Int(ro.b) {
                let branch = Int(rp.branches[Int(ro.a) + i])
                switch rp.ops[branch].kind {
                case .record, .enumeration, .fixed: byName[rp.fullNames[branch]] = byName[rp.fullNames[branch]] ?? branch
                default: break
                }
            }
            namedBranches[r] = byName
        }
        return namedBranches[r]![wp.fullNames[w]]
    }

    /// Whether the two nodes have the same (acyclic) structure, and so read each other: no walk needed.
    private func identical(_ r: Int, _ w: Int) -> Bool {
        guard let h = rp.structureHashes[r] else { return false }
        return h == wp.structureHashes[w]
    }

    /// The JSON pointer of the location since its last root marker.
    private func pointer(_ location: [Token]) -> String {
        var parts: [String] = []
        let start = location.lastIndex(where: { if case .root = $0 { return true } else { return false } }) ?? -1
        for token in location[(start + 1)...] {
            switch token {
            case .root: continue
            case .key(let k): parts.append(k.description)
            case .index(let i): parts.append(String(i))
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    private func incompatible(_ kind: AvroIncompatibility.Kind, _ message: String, _ location: [Token]) -> AvroIncompatibility {
        AvroIncompatibility(kind: kind, message: message, location: pointer(location))
    }

    /// Avro Java's `Schema.Type` name: `INT`, `RECORD`, ...
    private static func javaTypeName(_ kind: CodecPlan.Kind) -> String {
        switch kind {
        case .null: return "NULL"
        case .boolean: return "BOOLEAN"
        case .int: return "INT"
        case .long: return "LONG"
        case .float: return "FLOAT"
        case .double: return "DOUBLE"
        case .bytes: return "BYTES"
        case .string: return "STRING"
        case .fixed: return "FIXED"
        case .enumeration: return "ENUM"
        case .array: return "ARRAY"
        case .map: return "MAP"
        case .union: return "UNION"
        case .record: return "RECORD"
        }
    }

    private static func primitive(_ kind: CodecPlan.Kind) -> AvroSchema.Primitive? {
        switch kind {
        case .null: return .null
        case .boolean: return .boolean
        case .int: return .int
        case .long: return .long
        case .float: return .float
        case .double: return .double
        case .bytes: return .bytes
        case .string: return .string
        default: return nil
        }
    }

    private mutating func calculate(_ r: Int, _ w: Int, _ location: inout [Token]) -> [AvroIncompatibility] {
        let ro = rp.ops[r], wo = wp.ops[w]
        if ro.kind == wo.kind {
            switch ro.kind {
            case .null, .boolean, .int, .long, .float, .double, .bytes, .string:
                return []
            case .array:
                return compatibility(token: .key("items"), Int(ro.a), Int(wo.a), &location)
            case .map:
                return compatibility(token: .key("values"), Int(ro.a), Int(wo.a), &location)
            case .fixed:
                var result = checkNames(r, w, &location)
                if ro.a != wo.a {
                    location.append(.key("size"))
                    result.append(incompatible(.fixedSizeMismatch, "expected: \(wo.a), found: \(ro.a)", location))
                    location.removeLast()
                }
                return result
            case .enumeration:
                var result = checkNames(r, w, &location)
                let readerSymbols = rp.symbols[Int(ro.a)..<Int(ro.a + ro.b)]
                let writerSymbols = wp.symbols[Int(wo.a)..<Int(wo.a + wo.b)]
                if !readerSymbols.elementsEqual(writerSymbols) {
                    let readerSet = Set(readerSymbols)
                    let missing = Set(writerSymbols).subtracting(readerSet)
                    if !missing.isEmpty && !(rp.enumDefaults[r].map(readerSet.contains) ?? false) {
                        location.append(.key("symbols"))
                        // Java prints a TreeSet: sorted, "[A, B]".
                        result.append(incompatible(.missingEnumSymbols, "[" + missing.sorted().joined(separator: ", ") + "]", location))
                        location.removeLast()
                    }
                }
                return result
            case .record:
                var result = checkNames(r, w, &location)
                location.append(.key("fields"))
                let writerStart = Int(wo.a), writerCount = Int(wo.b)
                for i in 0..<Int(ro.b) {
                    location.append(.index(i))
                    let name = rp.fieldNames[Int(ro.a) + i]
                    // Fast path: the writer field at the same position has the same name.
                    var writerField: Int?
                    if i < writerCount, wp.fieldNames[writerStart + i] == name {
                        writerField = writerStart + i
                    } else {
                        writerField = lookupWriterField(readerRecord: r, field: i, writerRecord: w)
                    }
                    if let writerField {
                        result += compatibility(
                            token: .key("type"), Int(rp.fieldTypes[Int(ro.a) + i]), Int(wp.fieldTypes[writerField]), &location)
                    } else if !rp.fieldHasDefault[Int(ro.a) + i] {
                        let type = Int(rp.fieldTypes[Int(ro.a) + i])
                        if rp.ops[type].kind == .enumeration, rp.enumDefaults[type] != nil {
                            // As Java: an enum with a default is checked against the writer record itself.
                            result += compatibility(token: .key("type"), type, w, &location)
                        } else {
                            result.append(incompatible(.readerFieldMissingDefaultValue, name, location))
                        }
                    }
                    location.removeLast()
                }
                location.removeLast()
                return result
            case .union:
                var result: [AvroIncompatibility] = []
                for i in 0..<Int(wo.b) where !reads(token: .root, r, Int(wp.branches[Int(wo.a) + i]), &location) {
                    let branch = Int(wp.branches[Int(wo.a) + i])
                    location.append(.index(i))
                    result.append(
                        incompatible(
                            .missingUnionBranch, "reader union lacking writer type: \(Self.javaTypeName(wp.ops[branch].kind))", location))
                    location.removeLast()
                }
                return result
            }
        }
        if wo.kind == .union {
            // A non-union reader must read every branch the writer may write; the location goes on with
            // the writer branch's index.
            var result: [AvroIncompatibility] = []
            for i in 0..<Int(wo.b) {
                result += compatibility(token: .index(i), r, Int(wp.branches[Int(wo.a) + i]), &location)
            }
            return result
        }
        if ro.kind == .union {
            if let b = sameNameBranch(union: r, writer: w), reads(token: .root, b, w, &location) { return [] }
            for i in 0..<Int(ro.b) where reads(token: .root, Int(rp.branches[Int(ro.a) + i]), w, &location) { return [] }
            return [incompatible(.missingUnionBranch, "reader union lacking writer type: \(Self.javaTypeName(wo.kind))", location)]
        }
        if let rprim = Self.primitive(ro.kind), let wprim = Self.primitive(wo.kind), ResolutionRules.promotes(wprim, to: rprim) {
            return []
        }
        return [
            incompatible(
                .typeMismatch, "reader type: \(Self.javaTypeName(ro.kind)) not compatible with writer type: \(Self.javaTypeName(wo.kind))",
                location)
        ]
    }

    /// The writer field (index into the writer plan's field tables) for reader field `field`: by name,
    /// else by the reader field's aliases.
    private func lookupWriterField(readerRecord r: Int, field i: Int, writerRecord w: Int) -> Int? {
        let k = Int(rp.ops[r].a) + i
        let start = Int(wp.ops[w].a)
        if let direct = wp.fieldPosition(record: w, named: rp.fieldNames[k]) { return start + direct }
        for alias in rp.fieldAliases[k] {
            if let aliased = wp.fieldPosition(record: w, named: alias) { return start + aliased }
        }
        return nil
    }

    /// Names match when the unqualified names are equal or a reader alias is the writer's full name.
    private func checkNames(_ r: Int, _ w: Int, _ location: inout [Token]) -> [AvroIncompatibility] {
        if rp.shortNames[r] == wp.shortNames[w] || rp.aliases[r].contains(wp.fullNames[w]) { return [] }
        location.append(.key("name"))
        defer { location.removeLast() }
        return [incompatible(.nameMismatch, "expected: \(wp.fullNames[w])", location)]
    }
}

/// The spec's resolution rules shared by the checker and the resolver.
enum ResolutionRules {
    /// The spec's promotions: int -> long, float, double; long -> float, double; float -> double;
    /// string <-> bytes.
    static func promotes(_ writer: AvroSchema.Primitive, to reader: AvroSchema.Primitive) -> Bool {
        switch (writer, reader) {
        case (.int, .long), (.int, .float), (.int, .double), (.long, .float), (.long, .double), (.float, .double),
            (.string, .bytes), (.bytes, .string):
            return true
        default:
            return false
        }
    }

    /// The writer field a reader field reads: the one with its name, else the first of its aliases.
    static func writerField(for field: AvroSchema.Field, in record: AvroSchema.Record) -> AvroSchema.Field? {
        if let direct = record.fields.first(where: { $0.name == field.name }) { return direct }
        for alias in field.aliases {
            if let aliased = record.fields.first(where: { $0.name == alias }) { return aliased }
        }
        return nil
    }

    /// The index of the writer field a reader field reads.
    static func writerFieldIndex(for field: AvroSchema.Field, in record: AvroSchema.Record) -> Int? {
        if let direct = record.fields.firstIndex(where: { $0.name == field.name }) { return direct }
        for alias in field.aliases {
            if let aliased = record.fields.firstIndex(where: { $0.name == alias }) { return aliased }
        }
        return nil
    }
}
