import Foundation
import CanonAvro
import CanonCore

/// Swift types, encode and decode expressions, and default values for each ``ValueKind``.
struct ValueCoding {
    let model: TypeModel

    /// Generated encoders are generic over their writer: `encode<W: CanonAvro.AvroWriting>(into:)`.
    static let writerType = SwiftType.name("_Writer")
    static let writerGeneric = "_Writer: CanonAvro.AvroWriting"
    static let readerType = SwiftType.name("CanonAvro.AvroReader")
    static let errorType = SwiftType.name("CanonAvro.AvroError")

    // MARK: - Types

    func swiftType(_ kind: ValueKind) -> SwiftType {
        switch kind {
        case .null, .nullUnion: return .name("CanonAvro.AvroNull")
        case .boolean: return .name("Swift.Bool")
        case .int: return .name("Swift.Int32")
        case .long: return .name("Swift.Int64")
        case .float: return .name("Swift.Float")
        case .double: return .name("Swift.Double")
        case .bytes: return .array(.name("Swift.UInt8"))
        case .string: return .name("Swift.String")
        case .logical(let l): return .name(Self.logicalTypeName(l))
        case .array(let k): return .array(swiftType(k))
        case .map(let k): return .generic("CanonAvro.AvroMap", [swiftType(k)])
        case .optional(let k, _): return .optional(swiftType(k))
        case .union(let u, let nullIndex):
            let t = SwiftType.name(unionTypeName(u))
            return nullIndex == nil ? t : .optional(t)
        case .record(let i), .enumeration(let i), .fixed(let i): return .name(model.names[i]!)
        }
    }

    func unionTypeName(_ u: Int) -> String {
        let union = model.unions[u]
        return "\(model.names[union.owner]!).\(union.name)"
    }

    static func logicalTypeName(_ l: LogicalKind) -> String {
        switch l {
        case .uuid, .uuidFixed: return "Foundation.UUID"
        case .timestampMillis: return "Foundation.Date"
        case .timestampMicros: return "CanonAvro.AvroTimestampMicros"
        case .timestampNanos: return "CanonAvro.AvroTimestampNanos"
        case .localTimestampMillis: return "CanonAvro.AvroLocalTimestampMillis"
        case .localTimestampMicros: return "CanonAvro.AvroLocalTimestampMicros"
        case .localTimestampNanos: return "CanonAvro.AvroLocalTimestampNanos"
        case .date: return "CanonAvro.AvroDate"
        case .timeMillis: return "CanonAvro.AvroTimeMillis"
        case .timeMicros: return "CanonAvro.AvroTimeMicros"
        case .duration: return "CanonAvro.AvroDuration"
        case .decimal: return "Foundation.Decimal"
        case .bigDecimal, .bigDecimalVariable: return "CanonAvro.AvroBigDecimal"
        }
    }

    // MARK: - Encoding

    /// The expression that appends `value` to the writer named `writer`.
    func encode(_ kind: ValueKind, _ value: SwiftExpr, writer: String, depth: Int = 1) -> SwiftExpr {
        let w = SwiftExpr.identifier(writer)
        func call(_ name: String, _ args: [SwiftArgument]) -> SwiftExpr { .method(w, name, args) }
        func member(_ name: String) -> SwiftExpr { .member(value, name) }
        let throwing = model.encodeThrows(kind)
        let effect: SwiftThrows = throwing ? .typed(Self.errorType) : .none
        func tried(_ e: SwiftExpr) -> SwiftExpr { throwing ? .try(e) : e }
        func closure(_ inner: ValueKind) -> SwiftExpr {
            let (wn, vn) = ("w\(depth)", "v\(depth)")
            return .closure(
                SwiftClosure(
                    parameters: [
                        SwiftParameter(name: wn, type: Self.writerType, isInout: true), SwiftParameter(name: vn, type: swiftType(inner)),
                    ],
                    throwing: effect, body: encode(inner, .identifier(vn), writer: wn, depth: depth + 1)))
        }
        switch kind {
        case .null: return call("writeNull", [])
        case .nullUnion: return call("writeUnionIndex", [.init(.int(0))])
        case .boolean: return call("writeBoolean", [.init(value)])
        case .int: return call("writeInt", [.init(value)])
        case .long: return call("writeLong", [.init(value)])
        case .float: return call("writeFloat", [.init(value)])
        case .double: return call("writeDouble", [.init(value)])
        case .bytes: return call("writeBytes", [.init(value)])
        case .string: return call("writeString", [.init(value)])
        case .logical(let l):
            switch l {
            case .uuid: return call("writeUUID", [.init(value)])
            case .uuidFixed: return call("writeUUIDFixed", [.init(value)])
            case .timestampMillis: return .try(call("writeTimestampMillis", [.init(value)]))
            case .timestampMicros, .localTimestampMicros: return call("writeLong", [.init(member("microsecondsSinceEpoch"))])
            case .timestampNanos, .localTimestampNanos: return call("writeLong", [.init(member("nanosecondsSinceEpoch"))])
            case .localTimestampMillis: return call("writeLong", [.init(member("millisecondsSinceEpoch"))])
            case .date: return call("writeInt", [.init(member("daysSinceEpoch"))])
            case .timeMillis: return call("writeInt", [.init(member("millisecondsSinceMidnight"))])
            case .timeMicros: return call("writeLong", [.init(member("microsecondsSinceMidnight"))])
            case .duration: return call("writeDuration", [.init(value)])
            case .decimal(let p, let s, let size):
                var args: [SwiftArgument] = [.init(value), .init("precision", .int(p)), .init("scale", .int(s))]
                if let size { args.append(.init("fixedSize", .int(size))) }
                return .try(call("writeDecimal", args))
            case .bigDecimal(let p, let s, let size):
                var args: [SwiftArgument] = [.init(value), .init("precision", .int(p)), .init("scale", .int(s))]
                if let size { args.append(.init("fixedSize", .int(size))) }
                return .try(call("writeBigDecimal", args))
            case .bigDecimalVariable: return call("writeBigDecimal", [.init(value)])
            }
        case .array(let k): return tried(call("writeArray", [.init(value), .init(closure(k))]))
        case .map(let k): return tried(call("writeMap", [.init(value), .init(closure(k))]))
        case .optional(let k, let nullIndex):
            return tried(call("writeOptional", [.init(value), .init("nullIndex", .int(nullIndex)), .init(closure(k))]))
        case .union(let u, let nullIndex?):
            let plain = ValueKind.union(u, nullIndex: nil)
            let (wn, vn) = ("w\(depth)", "v\(depth)")
            let body = SwiftExpr.closure(
                SwiftClosure(
                    parameters: [
                        SwiftParameter(name: wn, type: Self.writerType, isInout: true), SwiftParameter(name: vn, type: swiftType(plain)),
                    ],
                    throwing: effect, body: encode(plain, .identifier(vn), writer: wn, depth: depth + 1)))
            return tried(call("writeNullableUnion", [.init(value), .init("nullIndex", .int(nullIndex)), .init(body)]))
        case .union, .record, .enumeration, .fixed:
            return tried(.method(value, "encode", [.init("into", .inout(w))]))
        }
    }

    // MARK: - Decoding

    /// The expression that reads a value from the reader named `reader`.
    func decode(_ kind: ValueKind, reader: String, depth: Int = 1) -> SwiftExpr {
        let r = SwiftExpr.identifier(reader)
        func read(_ name: String, _ args: [SwiftArgument] = []) -> SwiftExpr { .try(.method(r, name, args)) }
        func wrap(_ type: String, _ label: String, _ inner: SwiftExpr) -> SwiftExpr { .call(.identifier(type), [.init(label, inner)]) }
        func closure(_ inner: ValueKind) -> SwiftExpr {
            let rn = "r\(depth)"
            return .closure(
                SwiftClosure(
                    parameters: [SwiftParameter(name: rn, type: Self.readerType, isInout: true)],
                    throwing: .typed(Self.errorType), returns: swiftType(inner), body: decode(inner, reader: rn, depth: depth + 1)))
        }
        switch kind {
        case .null: return .call(.identifier("CanonAvro.AvroNull"), [])
        case .nullUnion: return read("readNull", [.init("unionBranchCount", .int(1))])
        case .boolean: return read("readBoolean")
        case .int: return read("readInt")
        case .long: return read("readLong")
        case .float: return read("readFloat")
        case .double: return read("readDouble")
        case .bytes: return read("readBytes")
        case .string: return read("readString")
        case .logical(let l):
            let type = Self.logicalTypeName(l)
            switch l {
            case .uuid: return read("readUUID")
            case .uuidFixed: return read("readUUIDFixed")
            case .timestampMillis: return read("readTimestampMillis")
            case .timestampMicros, .localTimestampMicros: return wrap(type, "microsecondsSinceEpoch", read("readLong"))
            case .timestampNanos, .localTimestampNanos: return wrap(type, "nanosecondsSinceEpoch", read("readLong"))
            case .localTimestampMillis: return wrap(type, "millisecondsSinceEpoch", read("readLong"))
            case .date: return wrap(type, "daysSinceEpoch", read("readInt"))
            case .timeMillis: return wrap(type, "millisecondsSinceMidnight", read("readInt"))
            case .timeMicros: return wrap(type, "microsecondsSinceMidnight", read("readLong"))
            case .duration: return read("readDuration")
            case .decimal(let p, let s, let size):
                var args: [SwiftArgument] = [.init("precision", .int(p)), .init("scale", .int(s))]
                if let size { args.append(.init("fixedSize", .int(size))) }
                return read("readDecimal", args)
            case .bigDecimal(let p, let s, let size):
                var args: [SwiftArgument] = [.init("precision", .int(p)), .init("scale", .int(s))]
                if let size { args.append(.init("fixedSize", .int(size))) }
                return read("readBigDecimal", args)
            case .bigDecimalVariable: return read("readBigDecimal")
            }
        case .array(let k): return read("readArray", [.init("minimumItemSize", .int(model.minimumSize(k))), .init(closure(k))])
        case .map(let k): return read("readMap", [.init("minimumValueSize", .int(model.minimumSize(k))), .init(closure(k))])
        case .optional(let k, let nullIndex): return read("readOptional", [.init("nullIndex", .int(nullIndex)), .init(closure(k))])
        case .union(let u, let nullIndex?):
            let (rn, bn) = ("r\(depth)", "b\(depth)")
            let body = SwiftExpr.closure(
                SwiftClosure(
                    parameters: [
                        SwiftParameter(name: rn, type: Self.readerType, isInout: true), SwiftParameter(name: bn, type: .name("Swift.Int")),
                    ],
                    throwing: .typed(Self.errorType), returns: .name(unionTypeName(u)),
                    body: .try(
                        .call(.identifier(unionTypeName(u)), [.init("from", .inout(.identifier(rn))), .init("branch", .identifier(bn))]))))
            return read(
                "readNullableUnion",
                [.init("branchCount", .int(model.unions[u].branchCount)), .init("nullIndex", .int(nullIndex)), .init(body)])
        case .union(let u, nil):
            return .try(.call(.identifier(unionTypeName(u)), [.init("from", .inout(r))]))
        case .record(let i), .enumeration(let i), .fixed(let i):
            return .try(.call(.identifier(model.names[i]!), [.init("from", .inout(r))]))
        }
    }

    // MARK: - Defaults

    /// A Swift expression for a default value (already checked against the schema by the parser).
    /// `[1, 2, 3]`: bytes as an array literal.
    static func bytesLiteral(_ b: [UInt8]) -> SwiftExpr { .literal(.array(b.map { .literal(.int(Int64($0))) })) }

    func value(_ kind: ValueKind, _ v: AvroValue) throws(AvroError) -> SwiftExpr {
        let bytesLiteral = Self.bytesLiteral
        switch (kind, v) {
        case (.null, _), (.nullUnion, _): return .call(.identifier("CanonAvro.AvroNull"), [])
        case (.boolean, .boolean(let b)): return .literal(.bool(b))
        case (.int, .int(let i)): return .literal(.int(Int64(i)))
        case (.long, .long(let l)): return .literal(.int(l))
        case (.float, .float(let f)): return .literal(.float(f))
        case (.double, .double(let d)): return .literal(.double(d))
        case (.bytes, .bytes(let b)): return bytesLiteral(b)
        case (.string, .string(let s)): return .string(s)
        case (.logical(let l), _): return try logicalValue(l, v)
        case (.array(let k), .array(let items)):
            var out: [SwiftExpr] = []
            for item in items { out.append(try value(k, item)) }
            return .literal(.array(out))
        case (.map(let k), .map(let m)):
            var pairs: [SwiftExprPair] = []
            for (key, item) in m.entries { pairs.append(SwiftExprPair(key: .string(key), value: try value(k, item))) }
            return .literal(.dictionary(pairs))
        case (.optional(let k, let nullIndex), .union(let branch, let inner)):
            return branch == nullIndex ? .literal(.nil) : try value(k, inner)
        case (.union(let u, let nullIndex), .union(let branch, let inner)):
            if branch == nullIndex { return .literal(.nil) }
            guard let b = model.unions[u].branches.first(where: { $0.index == branch }) else { break }
            return .call(.member(nil, b.caseName), [.init(try value(b.kind, inner))])
        case (.record(let i), .record(let fields)):
            guard case .record(let r) = model.schema[i] else { break }
            let names = SwiftNaming.memberNames(r.fields.map(\.name))
            var args: [SwiftArgument] = []
            for (k, f) in r.fields.enumerated() {
                guard let fv = fields[f.name] else { continue }
                args.append(.init(names[k].trimmingCharacters(in: ["`"]), try value(model.fieldKinds[i]![k], fv)))
            }
            return .call(.identifier(model.names[i]!), args)
        case (.enumeration(let i), .enumSymbol(let s)):
            guard case .enumeration(let e) = model.schema[i], let k = e.symbols.firstIndex(of: s) else { break }
            return .member(nil, SwiftNaming.memberNames(e.symbols)[k])
        case (.fixed(let i), .fixed(let b)):
            return .call(.identifier(model.names[i]!), [.init("uncheckedBytes", bytesLiteral(b))])
        default: break
        }
        throw AvroError(.invalidDefault, "default \(v) does not fit the field's type")
    }

    private func logicalValue(_ l: LogicalKind, _ v: AvroValue) throws(AvroError) -> SwiftExpr {
        let type = SwiftExpr.identifier(Self.logicalTypeName(l))
        func make(_ label: String, _ e: SwiftExpr) -> SwiftExpr { .call(type, [.init(label, e)]) }
        switch (l, v) {
        case (.uuid, .string(let s)):
            guard s.utf8.count == 36, let u = UUID(uuidString: s) else { throw AvroError(.invalidDefault, "default '\(s)' is not a uuid") }
            return .call(type, [.init("uuid", .literal(.tuple(withUnsafeBytes(of: u.uuid) { $0.map { .literal(.int(Int64($0))) } })))])
        case (.uuidFixed, .fixed(let b)):
            return .call(type, [.init("uuid", .literal(.tuple(b.map { .literal(.int(Int64($0))) })))])
        case (.timestampMillis, .long(let ms)):
            let date = try AvroTimestampMillis.date(ms)
            return .call(type, [.init("timeIntervalSinceReferenceDate", .literal(.double(date.timeIntervalSinceReferenceDate)))])
        case (.timestampMicros, .long(let x)), (.localTimestampMicros, .long(let x)):
            return make("microsecondsSinceEpoch", .literal(.int(x)))
        case (.timestampNanos, .long(let x)), (.localTimestampNanos, .long(let x)): return make("nanosecondsSinceEpoch", .literal(.int(x)))
        case (.localTimestampMillis, .long(let x)): return make("millisecondsSinceEpoch", .literal(.int(x)))
        case (.date, .int(let x)): return make("daysSinceEpoch", .literal(.int(Int64(x))))
        case (.timeMillis, .int(let x)): return make("millisecondsSinceMidnight", .literal(.int(Int64(x))))
        case (.timeMicros, .long(let x)): return make("microsecondsSinceMidnight", .literal(.int(x)))
        case (.duration, .fixed(let b)):
            let d = try AvroDuration(bytes: b)
            return .call(
                type,
                [
                    .init("months", .literal(.uint(UInt64(d.months)))), .init("days", .literal(.uint(UInt64(d.days)))),
                    .init("milliseconds", .literal(.uint(UInt64(d.milliseconds)))),
                ])
        case (.decimal(let p, let s, _), .bytes(let b)), (.decimal(let p, let s, _), .fixed(let b)):
            _ = try AvroDecimal.decimal(unscaledBytes: b, precision: p, scale: s)
            return .call(
                .identifier("CanonAvro.AvroDecimal.decimal"), [.init("unscaledBytes", Self.bytesLiteral(b)), .init("scale", .int(s))])
        case (.bigDecimal(_, let s, _), .bytes(let b)), (.bigDecimal(_, let s, _), .fixed(let b)):
            return .call(type, [.init("unscaled", Self.bytesLiteral(b)), .init("scale", .int(s))])
        case (.bigDecimalVariable, .bytes(let b)):
            let big = try AvroBinaryReader.withReader([UInt8](AvroBinaryWriter.bytesValue(b))) { (r) throws(AvroError) in
                try r.readBigDecimal()
            }
            return .call(type, [.init("unscaled", Self.bytesLiteral(big.unscaled)), .init("scale", .int(Int(big.scale)))])
        default:
            throw AvroError(.invalidDefault, "default \(v) does not fit the logical type")
        }
    }
}

extension AvroBinaryWriter {
    /// The encoding of a bytes value (length prefix and content).
    static func bytesValue(_ b: [UInt8]) -> [UInt8] {
        var w = AvroBinaryWriter()
        w.writeBytes(b)
        return w.bytes
    }
}
