import CanonCore

/// Builds the structured Swift for the types of a ``JSONTypeModel``: structs with explicit `Codable`
/// conformances in the schema's JSON shape, string enums, and enums with associated values for unions.
struct JSONTypeTranslator {
    let model: JSONTypeModel
    let access: SwiftAccess
    /// The schema text each root type registers, by type index.
    let schemaTexts: [Int: String]

    private static let key = SwiftType.name("CanonJSONSchema.JSONCodingKey")
    private static let string = SwiftType.name("Swift.String")

    /// The type's name as written anywhere in the module: its enclosing types' names first.
    func qualifiedName(_ i: Int) -> String {
        var parts = [model.types[i].name]
        var p = model.types[i].parent
        while let parent = p {
            parts.insert(model.types[parent].name, at: 0)
            p = model.types[parent].parent
        }
        return parts.joined(separator: ".")
    }

    func swiftType(_ kind: JSONTypeModel.Kind) -> SwiftType {
        switch kind {
        case .string: return Self.string
        case .bool: return .name("Swift.Bool")
        case .any: return .name("CanonCore.JSONValue")
        case .integer(let t), .number(let t): return .name(t)
        case .array(let item): return .array(swiftType(item))
        case .map(let value): return .dictionary(Self.string, swiftType(value))
        case .optional(let wrapped): return .optional(swiftType(wrapped))
        case .named(let i): return .name(qualifiedName(i))
        }
    }

    /// The top-level types of `file`, each with its nested types inside.
    func declarations(file: String) -> [SwiftDeclaration] {
        model.types.indices.filter { model.types[$0].parent == nil && model.types[$0].file == file }.map(declaration)
    }

    func declaration(_ i: Int) -> SwiftDeclaration {
        let t = model.types[i]
        let nested = t.children.map(declaration)
        switch t.body {
        case .object(let properties, let additional):
            var inherits = ["Swift.Codable", "Swift.Hashable", "Swift.Sendable"]
            if t.isRoot { inherits = ["CanonJSONSchema.JSONSchemaCodable", "Swift.Hashable"] }
            var members = storage(properties, additional)
            members.append(.function(memberwiseInit(properties, additional)))
            members.append(.function(decodingInit(properties, additional)))
            members.append(.function(encodeFunction(properties, additional)))
            if t.isRoot, let text = schemaTexts[i] { members.append(schemaVariable(text)) }
            return .type(
                SwiftTypeDeclaration(doc: t.doc, access: access, kind: .struct, name: t.name, inherits: inherits, members: members + nested)
            )
        case .stringEnum(let cases):
            return .type(
                SwiftTypeDeclaration(
                    doc: t.doc, access: access, kind: .enum, name: t.name,
                    inherits: ["Swift.String", "Swift.Codable", "Swift.Hashable", "Swift.Sendable", "Swift.CaseIterable"],
                    members: cases.map { .enumCase(name: $0.name, rawValue: $0.raw, associated: nil, doc: nil) } + nested))
        case .union(let cases, let discriminator):
            var members: [SwiftDeclaration] = cases.map {
                .enumCase(name: $0.name, rawValue: nil, associated: swiftType($0.kind), doc: nil)
            }
            members.append(.function(unionDecoding(cases, discriminator)))
            members.append(.function(unionEncoding(cases)))
            if t.isRoot, let text = schemaTexts[i] { members.append(schemaVariable(text)) }
            let inherits =
                t.isRoot ? ["CanonJSONSchema.JSONSchemaCodable", "Swift.Hashable"] : ["Swift.Codable", "Swift.Hashable", "Swift.Sendable"]
            return .type(
                SwiftTypeDeclaration(
                    doc: t.doc, access: access, kind: .enum, modifiers: t.isIndirect ? ["indirect"] : [], name: t.name, inherits: inherits,
                    members: members + nested))
        }
    }

    private func schemaVariable(_ text: String) -> SwiftDeclaration {
        .variable(
            SwiftVariable(
                doc: "The schema this type was generated from, self-contained: what its topic serializer registers.", access: access,
                modifiers: ["static"], mutable: false, name: "jsonSchema", type: Self.string, value: .string(text)))
    }

    // MARK: - Objects

    /// The Swift type of a stored property: optional unless required and not nullable. (A `const`
    /// property is stored only when it is not required: whether it is present is then the value.)
    private func propertyType(_ p: JSONTypeModel.Property) -> SwiftType {
        if case .optional = p.kind { return swiftType(p.kind) }
        return p.required ? swiftType(p.kind) : .optional(swiftType(p.kind))
    }

    /// The type a property's value is decoded as (without the optional).
    private func valueType(_ p: JSONTypeModel.Property) -> SwiftType {
        if case .optional(let w) = p.kind { return swiftType(w) }
        return swiftType(p.kind)
    }

    private func isOptional(_ p: JSONTypeModel.Property) -> Bool {
        if case .optional = propertyType(p) { return true }
        return false
    }

    private func constantLiteral(_ value: JSONValue) -> SwiftExpr {
        switch value {
        case .string(let s): return .string(s)
        case .bool(let b): return .literal(.bool(b))
        case .int(let i): return .literal(.int(i))
        case .uint(let u): return .call(.identifier("Swift.UInt64"), [.init(.literal(.uint(u)))])
        case .double(let d): return .literal(.double(d))
        default: return .literal(.nil)
        }
    }

    private func storage(_ properties: [JSONTypeModel.Property], _ additional: JSONTypeModel.Kind?) -> [SwiftDeclaration] {
        var members: [SwiftDeclaration] = []
        for p in properties {
            if let constant = p.constant, p.required {
                members.append(
                    .variable(
                        SwiftVariable(
                            doc: p.doc ?? "Always \(constant.jsonText): the schema fixes it.", access: access, mutable: false,
                            name: p.swiftName,
                            type: swiftType(p.kind), getter: [.return(constantLiteral(constant))])))
            } else if p.boxed {
                let stored = "_" + p.swiftName.trimmingCharacters(in: ["`"])
                members.append(
                    .variable(
                        SwiftVariable(
                            access: .private, mutable: true, name: stored,
                            type: .generic("CanonJSONSchema.JSONIndirect", [propertyType(p)]))))
                members.append(
                    .variable(
                        SwiftVariable(
                            doc: p.doc, access: access, mutable: true, name: p.swiftName, type: propertyType(p),
                            getter: [.return(.member(.member(.selfExpr, stored), "wrapped"))],
                            setter: [.assign(.member(.member(.selfExpr, stored), "wrapped"), .identifier("newValue"))])))
            } else {
                members.append(
                    .variable(SwiftVariable(doc: p.doc, access: access, mutable: true, name: p.swiftName, type: propertyType(p))))
            }
        }
        if let additional {
            members.append(
                .variable(
                    SwiftVariable(
                        doc: "The members `additionalProperties` admits, by name.", access: access, mutable: true,
                        name: "additionalProperties", type: .dictionary(Self.string, swiftType(additional)))))
        }
        return members
    }

    private func assignment(_ p: JSONTypeModel.Property, _ value: SwiftExpr) -> SwiftStatement {
        p.boxed
            ? .assign(.member(.selfExpr, "_" + p.swiftName.trimmingCharacters(in: ["`"])), .call(.member(nil, "value"), [.init(value)]))
            : .assign(.member(.selfExpr, p.swiftName), value)
    }

    private func memberwiseInit(_ properties: [JSONTypeModel.Property], _ additional: JSONTypeModel.Kind?) -> SwiftFunction {
        var parameters: [SwiftParameter] = []
        var body: [SwiftStatement] = []
        for p in properties where p.constant == nil || !p.required {
            // A keyword-named property's parameter gets an inner name (`self _self`): `self` would shadow self.
            let label = p.swiftName.trimmingCharacters(in: ["`"])
            let name = label == p.swiftName ? label : "_" + label
            parameters.append(
                SwiftParameter(label: label, name: name, type: propertyType(p), defaultValue: isOptional(p) ? .literal(.nil) : nil))
            body.append(assignment(p, .identifier(name)))
        }
        if let additional {
            parameters.append(
                SwiftParameter(
                    name: "additionalProperties", type: .dictionary(Self.string, swiftType(additional)),
                    defaultValue: .literal(.dictionary([]))))
            body.append(.assign(.member(.selfExpr, "additionalProperties"), .identifier("additionalProperties")))
        }
        return SwiftFunction(access: access, name: "init", parameters: parameters, body: body)
    }

    private static func codingKey(_ name: String) -> SwiftExpr { .call(.member(nil, "init"), [.init(.string(name))]) }

    private static func typeValue(_ t: SwiftType) -> SwiftExpr { .member(.type(t), "self") }

    private func decodingInit(_ properties: [JSONTypeModel.Property], _ additional: JSONTypeModel.Kind?) -> SwiftFunction {
        let c = SwiftExpr.identifier("c")
        var body: [SwiftStatement] = [
            .declaration(
                mutable: false, name: "c", type: nil,
                value: .try(.method(.identifier("decoder"), "container", [.init("keyedBy", Self.typeValue(Self.key))])))
        ]
        for p in properties {
            if let constant = p.constant {
                body.append(
                    .expression(
                        .try(
                            .method(
                                c, "decodeConstant",
                                [
                                    .init(constantLiteral(constant)), .init("forKey", .string(p.jsonName)),
                                    .init("required", .literal(.bool(p.required))),
                                ]))))
                if p.required { continue }
            }
            if isOptional(p), p.kind == .any {
                body.append(assignment(p, .try(.method(c, "decodeAnyIfPresent", [.init("forKey", .string(p.jsonName))]))))
                continue
            }
            let method = isOptional(p) ? "decodeIfPresent" : "decode"
            body.append(
                assignment(
                    p, .try(.method(c, method, [.init(Self.typeValue(valueType(p))), .init("forKey", Self.codingKey(p.jsonName))]))))
        }
        if let additional {
            let known = properties.map { SwiftExpr.string($0.jsonName) }
            body.append(
                .assign(
                    .member(.selfExpr, "additionalProperties"),
                    .try(
                        .method(
                            c, "decodeAdditional",
                            [.init(Self.typeValue(swiftType(additional))), .init("excluding", .literal(.array(known)))]))))
        }
        return SwiftFunction(
            access: access, name: "init", parameters: [SwiftParameter(label: "from", name: "decoder", type: .name("any Swift.Decoder"))],
            throwing: .untyped, body: Self.discardingUnusedContainer(body))
    }

    /// A body that only opens its container (a type without properties) assigns it to `_`: the
    /// container still says the value is an object, and Swift does not warn of an unused variable.
    private static func discardingUnusedContainer(_ body: [SwiftStatement]) -> [SwiftStatement] {
        guard body.count == 1, case .declaration(_, _, _, let value?) = body[0] else { return body }
        return [.assign(.identifier("_"), value)]
    }

    private func encodeFunction(_ properties: [JSONTypeModel.Property], _ additional: JSONTypeModel.Kind?) -> SwiftFunction {
        let c = SwiftExpr.identifier("c")
        var body: [SwiftStatement] = [
            .declaration(
                mutable: true, name: "c", type: nil,
                value: .method(.identifier("encoder"), "container", [.init("keyedBy", Self.typeValue(Self.key))]))
        ]
        for p in properties {
            let method = p.required ? "encode" : "encodeIfPresent"
            body.append(
                .expression(
                    .try(.method(c, method, [.init(.member(.selfExpr, p.swiftName)), .init("forKey", Self.codingKey(p.jsonName))]))))
        }
        if additional != nil {
            body.append(.expression(.try(.method(c, "encodeAdditional", [.init(.member(.selfExpr, "additionalProperties"))]))))
        }
        return SwiftFunction(
            access: access, name: "encode", parameters: [SwiftParameter(label: "to", name: "encoder", type: .name("any Swift.Encoder"))],
            throwing: .untyped, body: Self.discardingUnusedContainer(body))
    }

    // MARK: - Unions

    private func construct(_ c: JSONTypeModel.UnionCase) -> SwiftStatement {
        .assign(
            .selfExpr,
            .call(
                .member(nil, c.name),
                [.init(.try(.call(.member(.type(swiftType(c.kind)), "init"), [.init("from", .identifier("decoder"))])))]))
    }

    private static func mismatch(_ expected: String) -> SwiftStatement {
        .throw(
            .call(
                .member(.identifier("CanonJSONSchema.JSONShape"), "mismatch"),
                [.init(.member(.identifier("Self"), "self")), .init(.identifier("decoder")), .init("expected", .string(expected))]))
    }

    private func unionDecoding(_ cases: [JSONTypeModel.UnionCase], _ discriminator: String?) -> SwiftFunction {
        var switchCases: [SwiftSwitchCase] = []
        for shape in ["null", "boolean", "number", "string", "array", "object"] {
            let matching = cases.filter { $0.shape == shape }
            guard !matching.isEmpty else { continue }
            let pattern = SwiftPattern.expression(.member(nil, shape == "boolean" ? "bool" : shape))
            if matching.count == 1 {
                switchCases.append(SwiftSwitchCase(patterns: [pattern], body: [construct(matching[0])]))
                continue
            }
            let name = discriminator ?? ""
            let values = matching.compactMap(\.discriminator)
            var inner = matching.map { SwiftSwitchCase(patterns: [.expression(.string($0.discriminator ?? ""))], body: [construct($0)]) }
            inner.append(SwiftSwitchCase(patterns: [], body: [Self.mismatch("\(name) to be one of \(values.joined(separator: ", "))")]))
            switchCases.append(
                SwiftSwitchCase(
                    patterns: [pattern],
                    body: [
                        .declaration(
                            mutable: false, name: "c", type: nil,
                            value: .try(.method(.identifier("decoder"), "container", [.init("keyedBy", Self.typeValue(Self.key))]))),
                        .switch(
                            .try(
                                .method(
                                    .identifier("c"), "decode", [.init(Self.typeValue(Self.string)), .init("forKey", Self.codingKey(name))])
                            ),
                            inner),
                    ]))
        }
        let kinds = Array(Set(cases.map(\.shape))).sorted()
        switchCases.append(SwiftSwitchCase(patterns: [], body: [Self.mismatch("one of: \(kinds.joined(separator: ", "))")]))
        return SwiftFunction(
            access: access, name: "init", parameters: [SwiftParameter(label: "from", name: "decoder", type: .name("any Swift.Decoder"))],
            throwing: .untyped,
            body: [
                .switch(.try(.call(.member(.identifier("CanonJSONSchema.JSONShape"), "of"), [.init(.identifier("decoder"))])), switchCases)
            ])
    }

    private func unionEncoding(_ cases: [JSONTypeModel.UnionCase]) -> SwiftFunction {
        SwiftFunction(
            access: access, name: "encode", parameters: [SwiftParameter(label: "to", name: "encoder", type: .name("any Swift.Encoder"))],
            throwing: .untyped,
            body: [
                .switch(
                    .selfExpr,
                    cases.map {
                        SwiftSwitchCase(
                            patterns: [.enumCase($0.name.trimmingCharacters(in: ["`"]), binding: "value")],
                            body: [.expression(.try(.method(.identifier("value"), "encode", [.init("to", .identifier("encoder"))])))])
                    })
            ])
    }
}
