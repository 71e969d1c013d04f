import CanonAvro

/// Builds `CanonTopics.swift`: one descriptor per topic of `canon-codegen.json`.
struct TopicTranslator {
    let model: TypeModel
    let access: SwiftAccess
    /// The root types of the JSON Schema files, by the names a topic setting may use (the Swift type
    /// name, and the schema's `title`): their Swift name and the record name subject strategies use.
    var jsonTypes: [String: (swiftName: String, recordName: String)] = [:]

    static let primitiveKeys: [String: String] = [
        "string": "Swift.String", "long": "Swift.Int64", "int": "Swift.Int32", "boolean": "Swift.Bool",
        "float": "Swift.Float", "double": "Swift.Double", "bytes": "[Swift.UInt8]",
    ]

    /// The Swift type for a topic's key or value setting, or a message saying why there is none.
    func type(for setting: String) -> Result<String, TopicSettingError> {
        if let p = Self.primitiveKeys[setting] { return .success(p) }
        if let json = jsonTypes[setting] { return .success(json.swiftName) }
        switch TopicSetting.resolve(setting, in: model.schema) {
        case .failure(let error): return .failure(error)
        case .success(.primitive): return .failure(TopicSettingError("'\(setting)' cannot be a topic's key or value type"))
        case .success(.named(let index)):
            guard let name = model.names[index] else {
                return .failure(
                    TopicSettingError(
                        "'\(setting)' has no Swift type of its own (a fixed with a logical type); name a record, enum or fixed"))
            }
            return .success(name)
        }
    }

    func declarations(_ config: CodegenConfig, file: String) throws(CodegenError) -> [SwiftDeclaration] {
        var diagnostics: [Diagnostic] = []
        var declarations: [SwiftDeclaration] = []
        var taken: Set<String> = Set(model.names.values)
        for (i, topic) in config.topics.enumerated() {
            let key = type(for: topic.key)
            let value = type(for: topic.value)
            if case .failure(let m) = key { diagnostics.append(Diagnostic(file: file, message: "/topics/\(i)/key: \(m.message)")) }
            if case .failure(let m) = value { diagnostics.append(Diagnostic(file: file, message: "/topics/\(i)/value: \(m.message)")) }
            let swiftName =
                topic.swiftName ?? SwiftNaming.typeName(
                    topic.topic.map { $0.isLetter || $0.isNumber ? $0 : "_" }.reduce("") { $0 + String($1) }) + "Topic"
            if !taken.insert(swiftName).inserted {
                diagnostics.append(
                    Diagnostic(file: file, message: "/topics/\(i): the descriptor name '\(swiftName)' is already taken; set \"swiftName\""))
            }
            guard case .success(let k) = key, case .success(let v) = value else { continue }
            // A topic is JSON when its value is a JSON Schema type; its key is then JSON too ("string" is).
            let isJSON = jsonTypes[topic.value] != nil
            if isJSON, jsonTypes[topic.key] == nil, topic.key != "string" {
                diagnostics.append(
                    Diagnostic(
                        file: file, message: "/topics/\(i)/key: a JSON Schema topic's key must be a JSON Schema type or \"string\""))
                continue
            }
            if !isJSON, jsonTypes[topic.key] != nil {
                diagnostics.append(
                    Diagnostic(file: file, message: "/topics/\(i)/key: '\(topic.key)' is a JSON Schema type but the value is Avro"))
                continue
            }
            func recordName(_ setting: String) -> String {
                jsonTypes[setting]?.recordName ?? TopicSetting.recordName(setting, in: model.schema)
            }
            let stringType = SwiftType.name("Swift.String")
            let (module, source) =
                isJSON ? ("CanonJSONSchema.JSON", "any CanonCore.SchemaSource") : ("CanonAvro.Avro", "any CanonAvro.AvroSchemaSource")
            let members: [SwiftDeclaration] = [
                .typealias(access: access, name: "Key", type: .name(k)),
                .typealias(access: access, name: "Value", type: .name(v)),
                .variable(
                    SwiftVariable(
                        access: access, modifiers: ["static"], mutable: false, name: "name", type: stringType, value: .string(topic.topic))),
                .variable(
                    SwiftVariable(
                        access: access, modifiers: ["static"], mutable: false, name: "keySubject", type: stringType,
                        value: .string(
                            config.subject(of: topic, isKey: true, recordName: recordName(topic.key))))),
                .variable(
                    SwiftVariable(
                        access: access, modifiers: ["static"], mutable: false, name: "valueSubject", type: stringType,
                        value: .string(
                            config.subject(of: topic, isKey: false, recordName: recordName(topic.value))))),
                .function(
                    SwiftFunction(
                        doc: "A serializer framing keys and values with the schema IDs `source` gives.", access: access,
                        modifiers: ["static"], name: "serializer",
                        parameters: [SwiftParameter(name: "source", type: .name(source))],
                        returns: .generic(module + "TopicSerializer", [.name(swiftName)]),
                        body: [.return(.call(.member(nil, "init"), [.init("source", .identifier("source"))]))])),
                .function(
                    SwiftFunction(
                        doc: isJSON
                            ? "A deserializer; with `validates`, each record is first validated against the writer schema its ID names in `source`."
                            : "A deserializer resolving each record against the writer schema its ID names in `source`.", access: access,
                        modifiers: ["static"], name: "deserializer",
                        parameters: isJSON
                            ? [
                                SwiftParameter(name: "source", type: .name(source)),
                                SwiftParameter(name: "validates", type: .name("Swift.Bool"), defaultValue: .literal(.bool(false))),
                            ] : [SwiftParameter(name: "source", type: .name(source))],
                        returns: .generic(module + "TopicDeserializer", [.name(swiftName)]),
                        body: [
                            .return(
                                .call(
                                    .member(nil, "init"),
                                    [.init("source", .identifier("source"))]
                                        + (isJSON ? [.init("validates", .identifier("validates"))] : [])))
                        ])),
            ]
            declarations.append(
                .type(
                    SwiftTypeDeclaration(
                        doc: "The topic `\(topic.topic)`: keys are `\(topic.key)`, values are `\(topic.value)`.", access: access,
                        kind: .enum, name: swiftName,
                        inherits: [module + "Topic"], members: members)))
        }
        guard diagnostics.isEmpty else { throw CodegenError(diagnostics: diagnostics) }
        return declarations
    }
}

/// Why a topic's key or value setting names no usable type.
package struct TopicSettingError: Error, Sendable {
    package var message: String
    package init(_ message: String) { self.message = message }
}

/// What a topic's `key` or `value` setting names: a primitive type or one of the schemas' named types
/// (by full name, or by a simple name that only one type has). The generator and the schema workflow
/// resolve settings through this one function.
package enum TopicSetting: Sendable, Hashable {
    case primitive(AvroSchema.Primitive)
    case named(Int)

    /// The primitive types a topic's key or value may be.
    package static let primitives: Set<AvroSchema.Primitive> = [.string, .long, .int, .boolean, .float, .double, .bytes]

    package static func resolve(_ setting: String, in schema: AvroSchema) -> Result<TopicSetting, TopicSettingError> {
        if let p = AvroSchema.Primitive(rawValue: setting), primitives.contains(p) { return .success(.primitive(p)) }
        var matches = schema.namedTypes.filter { $0.key == setting }.map(\.value)
        if matches.isEmpty {
            matches = schema.namedTypes.filter { AvroSchema.Name(fullName: $0.key).name == setting }.map(\.value).sorted()
        }
        guard !matches.isEmpty else {
            return .failure(
                TopicSettingError(
                    "no schema defines '\(setting)' (it may also be one of \(primitives.map(\.rawValue).sorted().joined(separator: ", ")))")
            )
        }
        guard matches.count == 1 else {
            return .failure(
                TopicSettingError(
                    "'\(setting)' is the simple name of several types (\(matches.compactMap { schema[$0].name?.fullName }.sorted().joined(separator: ", "))); use the full name"
                ))
        }
        return .success(.named(matches[0]))
    }

    /// The name a subject strategy uses for the setting's schema: a named type's full name, a
    /// primitive's type name (and the setting itself when it names nothing).
    package static func recordName(_ setting: String, in schema: AvroSchema) -> String {
        switch resolve(setting, in: schema) {
        case .success(.named(let i)): return schema[i].name?.fullName ?? setting
        default: return setting
        }
    }
}
