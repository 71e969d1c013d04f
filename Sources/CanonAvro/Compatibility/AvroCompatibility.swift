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
    public func incompatibilities(readingDataWrittenWith writer: AvroSchema) -> [AvroIncompatibility] {
        var checker = CompatibilityWalk(reader: self, writer: writer)
        var location: [String] = []
        return checker.compatibility(token: "", root, writer.root, &location)
    }

    /// Whether this schema, as the reader, can read every datum written with `writer`.
    public func canRead(dataWrittenWith writer: AvroSchema) -> Bool {
        incompatibilities(readingDataWrittenWith: writer).isEmpty
    }
}

/// The Avro format's reader/writer check for the level logic in `CanonCore`.
public struct AvroCompatibilityChecker: CompatibilityChecker, Sendable {
    public init() {}

    public func incompatibilities(reader: AvroSchema, writer: AvroSchema, readerRole: SchemaRole) -> [CompatibilityMessage] {
        let writerRole: SchemaRole = readerRole == .new ? .old : .new
        return reader.incompatibilities(readingDataWrittenWith: writer).map {
            CompatibilityMessage(
                errorType: $0.kind.rawValue, description: $0.confluentDescription(reader: readerRole, writer: writerRole),
                additionalInfo: $0.message)
        }
    }

    public func text(of schema: AvroSchema) -> String { schema.fullRendering }
}

/// The walk over a (reader, writer) pair of schema graphs. Pairs are memoized, and a pair met again
/// while it is being checked counts as compatible (recursive types are compatible unless proven not).
private struct CompatibilityWalk {
    let reader: AvroSchema
    let writer: AvroSchema
    private var memo: [Pair: [AvroIncompatibility]?] = [:]

    struct Pair: Hashable {
        var reader: Int
        var writer: Int
    }

    init(reader: AvroSchema, writer: AvroSchema) {
        self.reader = reader
        self.writer = writer
    }

    /// Checks a pair, pushing `token` onto the location while it does.
    mutating func compatibility(token: String, _ r: Int, _ w: Int, _ location: inout [String]) -> [AvroIncompatibility] {
        location.append(token)
        defer { location.removeLast() }
        let pair = Pair(reader: r, writer: w)
        if let known = memo[pair] {
            return known ?? []  // nil: in progress
        }
        memo[pair] = .some(nil)
        let result = calculate(r, w, &location)
        memo[pair] = result
        return result
    }

    /// Checks a pair with a fresh location (as Java does for union branches): locations found inside
    /// are relative to the root.
    private mutating func fresh(_ r: Int, _ w: Int) -> [AvroIncompatibility] {
        var location: [String] = []
        return compatibility(token: "", r, w, &location)
    }

    private func pointer(_ location: [String]) -> String {
        "/" + location.dropFirst().map(escapePointer).joined(separator: "/")
    }

    private func incompatible(_ kind: AvroIncompatibility.Kind, _ message: String, _ location: [String]) -> AvroIncompatibility {
        AvroIncompatibility(kind: kind, message: message, location: pointer(location))
    }

    /// Avro Java's `Schema.Type` name: `INT`, `RECORD`, ...
    private static func javaTypeName(_ node: AvroSchema.Node) -> String {
        node.typeName.uppercased()
    }

    private func typeMismatch(_ rn: AvroSchema.Node, _ wn: AvroSchema.Node, _ location: [String]) -> AvroIncompatibility {
        incompatible(.typeMismatch, "reader type: \(Self.javaTypeName(rn)) not compatible with writer type: \(Self.javaTypeName(wn))", location)
    }

    private mutating func calculate(_ r: Int, _ w: Int, _ location: inout [String]) -> [AvroIncompatibility] {
        let rn = reader.nodes[r], wn = writer.nodes[w]
        switch (rn, wn) {
        case (.primitive(let rp, _), .primitive(let wp, _)) where rp == wp:
            return []
        case (.array(let ri, _), .array(let wi, _)):
            return compatibility(token: "items", ri, wi, &location)
        case (.map(let rv, _), .map(let wv, _)):
            return compatibility(token: "values", rv, wv, &location)
        case (.fixed(let rf), .fixed(let wf)):
            var result = checkNames(rf.name, aliases: rf.aliases, writer: wf.name, &location)
            if rf.size != wf.size {
                location.append("size")
                result.append(incompatible(.fixedSizeMismatch, "expected: \(wf.size), found: \(rf.size)", location))
                location.removeLast()
            }
            return result
        case (.enumeration(let re), .enumeration(let we)):
            var result = checkNames(re.name, aliases: re.aliases, writer: we.name, &location)
            let readerSymbols = Set(re.symbols)
            let missing = Set(we.symbols).subtracting(readerSymbols)
            if !missing.isEmpty && !(re.defaultSymbol.map(readerSymbols.contains) ?? false) {
                location.append("symbols")
                // Java prints a TreeSet: sorted, "[A, B]".
                result.append(incompatible(.missingEnumSymbols, "[" + missing.sorted().joined(separator: ", ") + "]", location))
                location.removeLast()
            }
            return result
        case (.record(let rr), .record(let wr)):
            var result = checkNames(rr.name, aliases: rr.aliases, writer: wr.name, &location)
            location.append("fields")
            for (i, field) in rr.fields.enumerated() {
                location.append(String(i))
                if let writerField = ResolutionRules.writerField(for: field, in: wr) {
                    result += compatibility(token: "type", field.type, writerField.type, &location)
                } else if field.defaultValue == nil {
                    if case .enumeration(let e) = reader.nodes[field.type], e.defaultSymbol != nil {
                        // As Java: an enum with a default is checked against the writer record itself.
                        result += compatibility(token: "type", field.type, w, &location)
                    } else {
                        result.append(incompatible(.readerFieldMissingDefaultValue, field.name, location))
                    }
                }
                location.removeLast()
            }
            location.removeLast()
            return result
        case (.union, .union(let writerBranches)):
            var result: [AvroIncompatibility] = []
            for (i, branch) in writerBranches.enumerated() where !fresh(r, branch).isEmpty {
                location.append(String(i))
                result.append(incompatible(.missingUnionBranch, "reader union lacking writer type: \(Self.javaTypeName(writer.nodes[branch]))", location))
                location.removeLast()
            }
            return result
        case (_, .union(let writerBranches)):
            // A non-union reader must read every branch the writer may write; the location goes on with
            // the writer branch's index.
            var result: [AvroIncompatibility] = []
            for (i, branch) in writerBranches.enumerated() { result += compatibility(token: String(i), r, branch, &location) }
            return result
        case (.union(let readerBranches), _):
            for branch in readerBranches where fresh(branch, w).isEmpty { return [] }
            return [incompatible(.missingUnionBranch, "reader union lacking writer type: \(Self.javaTypeName(wn))", location)]
        case (.primitive(let rp, _), .primitive(let wp, _)) where ResolutionRules.promotes(wp, to: rp):
            return []
        default:
            return [typeMismatch(rn, wn, location)]
        }
    }

    /// Names match when the unqualified names are equal or a reader alias is the writer's full name.
    private func checkNames(_ readerName: AvroSchema.Name, aliases: [String], writer writerName: AvroSchema.Name, _ location: inout [String]) -> [AvroIncompatibility] {
        if readerName.name == writerName.name || aliases.contains(writerName.fullName) { return [] }
        location.append("name")
        defer { location.removeLast() }
        return [incompatible(.nameMismatch, "expected: \(writerName.fullName)", location)]
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
