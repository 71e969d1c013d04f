import Foundation
import CanonAvro
import CanonCore

/// Builds the Swift declarations of each generated type from the ``TypeModel``.
struct TypeTranslator {
    let model: TypeModel
    let coding: ValueCoding
    let access: SwiftAccess

    init(model: TypeModel, access: SwiftAccess) {
        self.model = model
        self.coding = ValueCoding(model: model)
        self.access = access
    }

    private static let readerParameter = SwiftParameter(label: "from", name: "reader", type: ValueCoding.readerType, isInout: true)
    private static let writerParameter = SwiftParameter(label: "into", name: "writer", type: ValueCoding.writerType, isInout: true)
    private static let typedThrows = SwiftThrows.typed(ValueCoding.errorType)

    /// The declarations for the named type at `index`.
    func declarations(for index: Int) throws(CodegenError) -> [SwiftDeclaration] {
        switch model.schema[index] {
        case .record(let r): return try record(index, r)
        case .enumeration(let e): return enumeration(index, e)
        case .fixed(let f): return TypeModel.isGenerated(model.schema[index]) ? fixed(index, f) : []
        default: return []
        }
    }

    // MARK: - Records

    private func record(_ index: Int, _ r: AvroSchema.Record) throws(CodegenError) -> [SwiftDeclaration] {
        let name = model.names[index]!
        let kinds = model.fieldKinds[index]!
        let names = SwiftNaming.memberNames(r.fields.map(\.name))
        let boxed = model.boxed.contains(index)
        let throwing = model.throwingRecords.contains(index)
        let schemaForRecord = model.schema.rooted(at: index)

        // Properties and the memberwise initializer.
        var members: [SwiftDeclaration] = []
        var parameters: [SwiftParameter] = []
        for (k, f) in r.fields.enumerated() {
            let type = coding.swiftType(kinds[k])
            var defaultValue: SwiftExpr?
            if let d = f.defaultValue {
                do {
                    let v = try AvroJSON.decodeDefault(d, schema: model.schema.rooted(at: f.type))
                    defaultValue = try coding.value(kinds[k], v)
                } catch {
                    throw CodegenError(diagnostics: [Diagnostic(file: "", message: "\(r.name.fullName).\(f.name): \(error.message)")])
                }
            }
            let doc = f.doc
            let plain = names[k].trimmingCharacters(in: ["`"])
            parameters.append(SwiftParameter(label: plain, name: Self.parameterName(names[k]), type: type, defaultValue: defaultValue))
            if boxed {
                members.append(
                    .variable(
                        SwiftVariable(
                            doc: doc, access: access, mutable: true, name: names[k], type: type,
                            getter: [.return(.member(.identifier("_canonFields"), names[k]))],
                            setter: [.assign(.member(.identifier("_canonFields"), names[k]), .identifier("newValue"))])))
            } else {
                members.append(.variable(SwiftVariable(doc: doc, access: access, mutable: true, name: names[k], type: type)))
            }
        }
        var initBody: [SwiftStatement]
        if boxed {
            let args = names.map { n in SwiftArgument(n.trimmingCharacters(in: ["`"]), .identifier(Self.parameterName(n))) }
            initBody = [
                .assign(
                    .member(.selfExpr, "_canonStorage"),
                    .call(.member(nil, "_canonFields"), [.init(.call(.identifier("_CanonFields"), args))]))
            ]
        } else {
            initBody = names.map { .assign(.member(.selfExpr, $0), .identifier(Self.parameterName($0))) }
        }
        members.append(
            .function(
                SwiftFunction(
                    doc: "Creates a value; fields with a schema default may be left out.", access: access, name: "init",
                    parameters: parameters, body: initBody)))
        if boxed {
            members += boxStorage(fields: zip(names, kinds).map { ($0, coding.swiftType($1)) })
        }
        var nested: [SwiftDeclaration] = []
        for (u, union) in model.unions.enumerated() where union.owner == index {
            nested.append(.type(unionDeclaration(u)))
        }
        members += nested

        let structDecl = SwiftTypeDeclaration(
            doc: docText(r.doc, fallback: "The Avro record `\(r.name.fullName)`."), access: access, kind: .struct, name: name,
            inherits: ["CanonAvro.AvroRecord"], members: members)

        // The Avro binary codec.
        var codec = schemaMembers(schemaForRecord)
        var decodeBody: [SwiftStatement] = []
        if boxed {
            decodeBody.append(.expression(.try(.method(.identifier("reader"), "enter"))))
            let args = zip(names, kinds).map { n, k in SwiftArgument(n.trimmingCharacters(in: ["`"]), coding.decode(k, reader: "reader")) }
            decodeBody.append(.expression(.call(.member(.selfExpr, "init"), args)))
            decodeBody.append(.expression(.method(.identifier("reader"), "leave")))
        } else {
            for (n, k) in zip(names, kinds) { decodeBody.append(.assign(.member(.selfExpr, n), coding.decode(k, reader: "reader"))) }
        }
        codec.append(
            .function(
                SwiftFunction(
                    doc: "Reads a value written with this type's schema.", access: access, name: "init", parameters: [Self.readerParameter],
                    throwing: Self.typedThrows, body: decodeBody)))
        let encodeBody = zip(names, kinds).map { n, k in
            SwiftStatement.expression(coding.encode(k, .member(.selfExpr, n), writer: "writer"))
        }
        codec.append(
            .function(
                SwiftFunction(
                    doc: "Appends the Avro binary encoding.", access: access, name: "encode",
                    genericParameters: [ValueCoding.writerGeneric], parameters: [Self.writerParameter],
                    throwing: throwing ? Self.typedThrows : .none, body: encodeBody)))
        if !throwing {
            // Encodings that cannot fail get `avroBinary()` and `framed(schemaID:)` without `throws`.
            func bufferThenArray(prefix: SwiftStatement?) -> [SwiftStatement] {
                let w = SwiftExpr.identifier("w")
                let encodeInto: (SwiftExpr) -> SwiftStatement = { .expression(.method(.selfExpr, "encode", [.init("into", .inout($0))])) }
                let prelude: [SwiftExpr] =
                    prefix == nil ? [] : [.method(w, "writeConfluentPrefix", [.init("schemaID", .identifier("schemaID"))])]
                let buffer = SwiftExpr.call(
                    .identifier("CanonAvro.AvroBufferWriter.encoding"),
                    [
                        .init(
                            .closure(
                                SwiftClosure(
                                    parameters: [SwiftParameter(name: "w", type: .name("CanonAvro.AvroBufferWriter"), isInout: true)],
                                    prelude: prelude,
                                    body: .method(.selfExpr, "encode", [.init("into", .inout(w))]))))
                    ])
                var statements: [SwiftStatement] = [.ifLet(name: "bytes", value: buffer, then: [.return(.identifier("bytes"))], else: nil)]
                statements.append(
                    .declaration(
                        mutable: true, name: "writer", type: nil,
                        value: .call(
                            .identifier("CanonAvro.AvroWriter"),
                            [.init("capacity", .binary(.int(4), "*", .identifier("CanonAvro.AvroBufferWriter.stackCapacity")))])))
                if let prefix { statements.append(prefix) }
                statements.append(encodeInto(.identifier("writer")))
                statements.append(.return(.member(.identifier("writer"), "bytes")))
                return statements
            }
            codec.append(
                .function(
                    SwiftFunction(
                        doc: "The Avro binary encoding (no framing), exactly sized.", access: access, name: "avroBinary",
                        returns: .array(.name("Swift.UInt8")),
                        body: bufferThenArray(prefix: nil))))
            codec.append(
                .function(
                    SwiftFunction(
                        doc: "The value in Confluent's wire format: magic byte, schema ID, Avro binary.", access: access, name: "framed",
                        parameters: [SwiftParameter(name: "schemaID", type: .name("Swift.Int32"))], returns: .array(.name("Swift.UInt8")),
                        body: bufferThenArray(
                            prefix: .expression(
                                .method(.identifier("writer"), "writeConfluentPrefix", [.init("schemaID", .identifier("schemaID"))]))))))
        }
        let codecExtension = SwiftTypeDeclaration(access: nil, kind: .extension, name: name, members: codec)
        return [.type(structDecl), .type(codecExtension), .type(codableExtension(name))]
    }

    /// The name a memberwise initializer uses inside for a field: never `self`, which it needs.
    static func parameterName(_ field: String) -> String {
        field == "`self`" ? "self_" : field
    }

    /// `avroSchema`, its fingerprint and its parsed form: what `CanonAvro.AvroSerializable` asks of a
    /// named type besides its codec.
    private func schemaMembers(_ schema: AvroSchema) -> [SwiftDeclaration] {
        [
            .variable(
                SwiftVariable(
                    doc: "The schema's full rendering, as registered.", access: access, modifiers: ["static"], mutable: false,
                    name: "avroSchema", type: .name("Swift.String"), value: .string(schema.fullRendering))),
            .variable(
                SwiftVariable(
                    doc: "CRC-64-AVRO of the Parsing Canonical Form.", access: access, modifiers: ["static"], mutable: false,
                    name: "parsingCanonicalFormFingerprint", type: .name("Swift.Int64"),
                    value: .literal(.int(Int64(bitPattern: schema.rabinFingerprint))))),
            .variable(
                SwiftVariable(
                    access: access, modifiers: ["static"], mutable: false, name: "avroParsedSchema", type: .name("CanonAvro.AvroSchema"),
                    value: .call(.identifier("CanonAvro.AvroSchema.generated"), [.init(.identifier("avroSchema"))]))),
        ]
    }

    private func boxStorage(fields: [(String, SwiftType)]) -> [SwiftDeclaration] {
        let fieldsStruct = SwiftTypeDeclaration(
            doc: "The fields, stored out of line: this record can contain itself.", access: .private, kind: .struct, name: "_CanonFields",
            inherits: ["Swift.Hashable", "Swift.Sendable"],
            members: fields.map { .variable(SwiftVariable(mutable: true, name: $0.0, type: $0.1)) })
        let storage = SwiftTypeDeclaration(
            access: .private, kind: .enum, modifiers: ["indirect"], name: "_CanonStorage", inherits: ["Swift.Hashable", "Swift.Sendable"],
            members: [.enumCase(name: "_canonFields", rawValue: nil, associated: .name("_CanonFields"), doc: nil)])
        return [
            .type(fieldsStruct), .type(storage),
            .variable(SwiftVariable(access: .private, mutable: true, name: "_canonStorage", type: .name("_CanonStorage"))),
            .variable(
                SwiftVariable(
                    access: .private, mutable: true, name: "_canonFields", type: .name("_CanonFields"),
                    getter: [
                        .switch(
                            .identifier("_canonStorage"),
                            [SwiftSwitchCase(patterns: [.enumCase("_canonFields", binding: "f")], body: [.return(.identifier("f"))])])
                    ],
                    setter: [.assign(.identifier("_canonStorage"), .call(.member(nil, "_canonFields"), [.init(.identifier("newValue"))]))])),
        ]
    }

    private func codableExtension(_ name: String) -> SwiftTypeDeclaration {
        SwiftTypeDeclaration(
            doc: "`Codable` in Avro's JSON encoding.", access: nil, kind: .extension, name: name, inherits: ["Swift.Codable"],
            members: [
                .function(
                    SwiftFunction(
                        access: access, name: "init",
                        parameters: [SwiftParameter(label: "from", name: "decoder", type: .name("any Swift.Decoder"))], throwing: .untyped,
                        body: [
                            .assign(
                                .selfExpr,
                                .try(
                                    .call(
                                        .identifier("CanonAvro.AvroJSONCoding.decode"),
                                        [.init(.member(.identifier(name), "self")), .init("from", .identifier("decoder"))])))
                        ])),
                .function(
                    SwiftFunction(
                        access: access, name: "encode",
                        parameters: [SwiftParameter(label: "to", name: "encoder", type: .name("any Swift.Encoder"))], throwing: .untyped,
                        body: [
                            .expression(
                                .try(
                                    .call(
                                        .identifier("CanonAvro.AvroJSONCoding.encode"),
                                        [.init(.selfExpr), .init("to", .identifier("encoder"))])))
                        ])),
            ])
    }

    // MARK: - Unions

    private func unionDeclaration(_ u: Int) -> SwiftTypeDeclaration {
        let union = model.unions[u]
        let throwing = union.branches.contains { model.encodeThrows($0.kind) }
        var members: [SwiftDeclaration] = union.branches.map { b in
            .enumCase(name: b.caseName, rawValue: nil, associated: coding.swiftType(b.kind), doc: nil)
        }
        let decodeCases =
            union.branches.map { b in
                SwiftSwitchCase(
                    patterns: [.expression(.int(b.index))],
                    body: [.assign(.selfExpr, .call(.member(nil, b.caseName), [.init(coding.decode(b.kind, reader: "reader"))]))])
            } + [
                SwiftSwitchCase(
                    patterns: [],
                    body: [
                        .throw(
                            .call(
                                .identifier("CanonAvro.AvroError"),
                                [.init(.member(nil, "malformedData")), .init(.string("union branch is not one of this type's"))]))
                    ])
            ]
        members.append(
            .function(
                SwiftFunction(
                    doc: "Reads the value of union branch `branch` (the index has been read).", access: access, name: "init",
                    parameters: [Self.readerParameter, SwiftParameter(name: "branch", type: .name("Swift.Int"))],
                    throwing: Self.typedThrows,
                    body: [.switch(.identifier("branch"), decodeCases)])))
        members.append(
            .function(
                SwiftFunction(
                    doc: "Reads a branch index and its value.", access: access, name: "init", parameters: [Self.readerParameter],
                    throwing: Self.typedThrows,
                    body: [
                        .expression(
                            .try(
                                .call(
                                    .member(.selfExpr, "init"),
                                    [
                                        .init("from", .inout(.identifier("reader"))),
                                        .init(
                                            "branch",
                                            .try(
                                                .method(
                                                    .identifier("reader"), "readUnionIndex", [.init("branchCount", .int(union.branchCount))]
                                                ))),
                                    ])))
                    ])))
        let encodeCases = union.branches.map { b in
            SwiftSwitchCase(
                patterns: [.enumCase(b.caseName, binding: "value")],
                body: [
                    .expression(.method(.identifier("writer"), "writeUnionIndex", [.init(.int(b.index))])),
                    .expression(coding.encode(b.kind, .identifier("value"), writer: "writer")),
                ])
        }
        members.append(
            .function(
                SwiftFunction(
                    doc: "Appends the branch index and the value.", access: access, name: "encode",
                    genericParameters: [ValueCoding.writerGeneric], parameters: [Self.writerParameter],
                    throwing: throwing ? Self.typedThrows : .none, body: [.switch(.selfExpr, encodeCases)])))
        let branchList = union.branches.map(\.avroName).joined(separator: ", ")
        return SwiftTypeDeclaration(
            doc: "A value of the union [\(branchList)]\(union.nullIndex == nil ? "" : " (null is `nil`)").", access: access, kind: .enum,
            name: union.name, inherits: ["Swift.Hashable", "Swift.Sendable"], members: members)
    }

    // MARK: - Enums

    private func enumeration(_ index: Int, _ e: AvroSchema.Enumeration) -> [SwiftDeclaration] {
        let name = model.names[index]!
        let cases = SwiftNaming.memberNames(e.symbols)
        var members: [SwiftDeclaration] = zip(cases, e.symbols).map { .enumCase(name: $0, rawValue: $1, associated: nil, doc: nil) }
        let decodeCases = cases.enumerated().map { i, c in
            SwiftSwitchCase(patterns: [.expression(.int(i))], body: [.assign(.selfExpr, .member(nil, c))])
        }
        members.append(
            .function(
                SwiftFunction(
                    doc: "Reads a symbol written with this enum's schema.", access: access, name: "init",
                    parameters: [Self.readerParameter], throwing: Self.typedThrows,
                    body: [
                        .switch(
                            .try(.method(.identifier("reader"), "readEnumIndex", [.init("symbolCount", .int(e.symbols.count))])),
                            decodeCases.dropLast() + [SwiftSwitchCase(patterns: [], body: decodeCases.last!.body)])
                    ])))
        members.append(
            .variable(
                SwiftVariable(
                    doc: "The symbol's position in the schema.", access: access, mutable: true, name: "avroIndex", type: .name("Swift.Int"),
                    getter: [
                        .switch(
                            .selfExpr,
                            cases.enumerated().map { i, c in
                                SwiftSwitchCase(patterns: [.enumCase(c, binding: nil)], body: [.return(.int(i))])
                            })
                    ])))
        members.append(
            .function(
                SwiftFunction(
                    doc: "Appends the symbol's index.", access: access, name: "encode", genericParameters: [ValueCoding.writerGeneric],
                    parameters: [Self.writerParameter],
                    body: [
                        .expression(
                            .method(
                                .identifier("writer"), "writeLong",
                                [.init(.call(.identifier("Swift.Int64"), [.init(.member(.selfExpr, "avroIndex"))]))]))
                    ])))
        if let d = e.defaultSymbol, let k = e.symbols.firstIndex(of: d) {
            members.append(
                .function(
                    SwiftFunction(
                        doc: "Reads the symbol from JSON; a symbol this version does not know reads as the schema's default, `\(d)`.",
                        access: access, name: "init",
                        parameters: [SwiftParameter(label: "from", name: "decoder", type: .name("any Swift.Decoder"))], throwing: .untyped,
                        body: [
                            .declaration(
                                mutable: false, name: "symbol", type: nil,
                                value: .try(
                                    .method(
                                        .method(.identifier("decoder"), "singleValueContainer"), "decode",
                                        [.init(.member(.type(.name("Swift.String")), "self"))]))),
                            .assign(
                                .selfExpr,
                                .binary(.call(.identifier(name), [.init("rawValue", .identifier("symbol"))]), "??", .member(nil, cases[k]))),
                        ])))
        }
        var doc = docText(e.doc, fallback: "The Avro enum `\(e.name.fullName)`.")
        doc +=
            "\n\nA symbol added to the schema later becomes a new case, which breaks an exhaustive `switch`: add a `default` where that matters."
        if let d = e.defaultSymbol { doc += " Readers map a symbol they do not know to `\(d)`." }
        return [
            .type(
                SwiftTypeDeclaration(
                    doc: doc, access: access, kind: .enum, name: name,
                    inherits: ["Swift.String", "CanonAvro.AvroSerializable", "Swift.Hashable", "Swift.CaseIterable", "Swift.Codable"],
                    members: schemaMembers(model.schema.rooted(at: index)) + members))
        ]
    }

    // MARK: - Fixed

    private func fixed(_ index: Int, _ f: AvroSchema.Fixed) -> [SwiftDeclaration] {
        let name = model.names[index]!
        let members: [SwiftDeclaration] = [
            .variable(
                SwiftVariable(
                    access: access, modifiers: ["static"], mutable: false, name: "size", type: .name("Swift.Int"),
                    getter: [.return(.int(f.size))])),
            .variable(
                SwiftVariable(
                    doc: "Exactly `size` bytes.", access: access, mutable: false, name: "bytes", type: .array(.name("Swift.UInt8")))),
            .function(
                SwiftFunction(
                    doc: "Wraps `bytes`; throws unless there are exactly \(f.size).", access: access, name: "init",
                    parameters: [SwiftParameter(label: "_", name: "bytes", type: .array(.name("Swift.UInt8")))], throwing: Self.typedThrows,
                    body: [
                        .expression(.try(.call(.identifier("Self.checkSize"), [.init(.identifier("bytes"))]))),
                        .assign(.member(.selfExpr, "bytes"), .identifier("bytes")),
                    ])),
            .function(
                SwiftFunction(
                    attributes: ["@usableFromInline"], name: "init",
                    parameters: [SwiftParameter(label: "uncheckedBytes", name: "bytes", type: .array(.name("Swift.UInt8")))],
                    body: [.assign(.member(.selfExpr, "bytes"), .identifier("bytes"))])),
            .function(
                SwiftFunction(
                    access: access, name: "init", parameters: [Self.readerParameter], throwing: Self.typedThrows,
                    body: [
                        .assign(
                            .member(.selfExpr, "bytes"), .try(.method(.identifier("reader"), "readFixed", [.init("size", .int(f.size))])))
                    ])),
            .function(
                SwiftFunction(
                    access: access, name: "encode", genericParameters: [ValueCoding.writerGeneric], parameters: [Self.writerParameter],
                    body: [.expression(.method(.identifier("writer"), "writeFixed", [.init(.member(.selfExpr, "bytes"))]))])),
            .function(
                SwiftFunction(
                    doc: "Reads Avro JSON: a string of code points 0-255.", access: access, name: "init",
                    parameters: [SwiftParameter(label: "from", name: "decoder", type: .name("any Swift.Decoder"))], throwing: .untyped,
                    body: [
                        .declaration(
                            mutable: false, name: "text", type: nil,
                            value: .try(
                                .method(
                                    .method(.identifier("decoder"), "singleValueContainer"), "decode",
                                    [.init(.member(.type(.name("Swift.String")), "self"))]))),
                        .expression(
                            .try(
                                .call(
                                    .member(.selfExpr, "init"),
                                    [.init(.try(.call(.identifier("CanonAvro.AvroJSONCoding.latin1Bytes"), [.init(.identifier("text"))])))])
                            )),
                    ])),
            .function(
                SwiftFunction(
                    access: access, name: "encode",
                    parameters: [SwiftParameter(label: "to", name: "encoder", type: .name("any Swift.Encoder"))], throwing: .untyped,
                    body: [
                        .declaration(
                            mutable: true, name: "container", type: nil, value: .method(.identifier("encoder"), "singleValueContainer")),
                        .expression(
                            .try(
                                .method(
                                    .identifier("container"), "encode",
                                    [
                                        .init(
                                            .call(
                                                .identifier("CanonAvro.AvroJSONCoding.latin1String"), [.init(.member(.selfExpr, "bytes"))]))
                                    ]))),
                    ])),
        ]
        return [
            .type(
                SwiftTypeDeclaration(
                    doc: docText(f.doc, fallback: "The Avro fixed `\(f.name.fullName)`: \(f.size) bytes."), access: access, kind: .struct,
                    name: name,
                    inherits: ["CanonAvro.AvroFixed", "CanonAvro.AvroSerializable", "Swift.Codable"],
                    members: schemaMembers(model.schema.rooted(at: index)) + members))
        ]
    }

    private func docText(_ doc: String?, fallback: String) -> String {
        guard let doc, !doc.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return fallback }
        return doc
    }
}
