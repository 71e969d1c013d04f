import CanonAvro
import CanonCore

/// A generated Swift source file.
public struct GeneratedFile: Sendable, Hashable {
    /// The file name: `<schema path with / as _>.swift` (`Schemas_Order.avsc.swift`), or `CanonTopics.swift`.
    public var name: String
    public var contents: String
}

/// Turns Avro (`.avsc`) and JSON Schema (`.json`, usually `.schema.json`) files into Swift types: the one entry point that `canon-codegen`, `canon generate`
/// and the build plugin call.
///
/// It works like a compiler: the schemas are parsed together into one model (``TypeModel``: Swift names,
/// value kinds, unions, recursion), each named type is translated into structured Swift
/// (``SwiftDeclaration``), and ``SwiftRenderer`` prints it. Output depends on the input alone.
public enum CanonCodegen {
    /// The name of the config file the plugin and the CLI look for beside the schemas.
    public static let configFileName = "canon-codegen.json"
    /// The file holding the topic descriptors, generated when a config lists topics.
    public static let topicsFileName = "CanonTopics.swift"

    /// The output file name for a schema file: its relative path with `/` as `_`, plus `.swift`.
    public static func outputName(forSchemaPath path: String) -> String {
        path.split(separator: "/").joined(separator: "_") + ".swift"
    }

    /// Generates one Swift file per schema file (even one defining no named type), plus
    /// `CanonTopics.swift` when `config` is given. Every problem in the input is reported at once.
    public static func generate(schemaFiles: [SourceFile], config: SourceFile? = nil) throws(CodegenError) -> [GeneratedFile] {
        var diagnostics: [Diagnostic] = []
        var settings = CodegenConfig()
        if let config {
            do {
                settings = try CodegenConfig(parsing: config.contents)
            } catch {
                diagnostics.append(Diagnostic(file: config.path, message: error.description))
            }
        }
        guard !schemaFiles.isEmpty else {
            throw CodegenError(diagnostics: [Diagnostic(file: "(input)", message: "no schema files were given")])
        }
        let jsonModel = JSONTypeModel(sourceFiles: schemaFiles)
        diagnostics += jsonModel.diagnostics
        let set: SchemaSet
        do {
            set = try SchemaSet(files: schemaFiles.filter { !isJSONSchema($0.path) })
        } catch {
            throw CodegenError(diagnostics: diagnostics + error.diagnostics)
        }

        var outputs: [String: String] = [:]
        for file in schemaFiles {
            let name = outputName(forSchemaPath: file.path)
            if let other = outputs[name] {
                diagnostics.append(
                    Diagnostic(file: file.path, message: "its output \(name) would be the same file as \(other)'s; rename one of them"))
            }
            outputs[name] = file.path
        }
        guard diagnostics.isEmpty else { throw CodegenError(diagnostics: diagnostics) }
        let model = try TypeModel(schema: set.schema, definitions: set.definitions, typeNames: settings.typeNames)
        // Both formats' top-level types live in one module: a name both define is a clash.
        let avroNames = Set(model.names.values)
        for t in jsonModel.types where t.parent == nil && avroNames.contains(t.name) {
            diagnostics.append(
                Diagnostic(
                    file: t.file,
                    message:
                        "its type \(t.name) has the name of an Avro type of this target; give one of them another name (title, or typeNames)"
                ))
        }
        guard diagnostics.isEmpty else { throw CodegenError(diagnostics: diagnostics) }
        let access = SwiftAccess(rawValue: settings.access) ?? .public
        let translator = TypeTranslator(model: model, access: access)
        var files: [GeneratedFile] = []
        for (file, types) in set.definitions {
            var declarations: [SwiftDeclaration] = []
            do {
                for t in types { declarations += try translator.declarations(for: t) }
            } catch {
                diagnostics += error.diagnostics.map { Diagnostic(file: file.path, message: $0.message) }
                continue
            }
            let swift = SwiftFile(header: header(source: file.path), imports: ["CanonAvro", "Foundation"], declarations: declarations)
            files.append(GeneratedFile(name: outputName(forSchemaPath: file.path), contents: SwiftRenderer.render(swift)))
        }
        var schemaTexts: [Int: String] = [:]
        for (path, i) in jsonModel.roots { schemaTexts[i] = jsonModel.registrationText(path) }
        let jsonTranslator = JSONTypeTranslator(model: jsonModel, access: access, schemaTexts: schemaTexts)
        for file in schemaFiles where jsonModel.files[file.path] != nil {
            let swift = SwiftFile(
                header: header(source: file.path), imports: ["CanonCore", "CanonJSONSchema", "Foundation"],
                declarations: jsonTranslator.declarations(file: file.path))
            files.append(GeneratedFile(name: outputName(forSchemaPath: file.path), contents: SwiftRenderer.render(swift)))
        }
        if let config {
            do {
                var translator = TopicTranslator(model: model, access: access)
                translator.jsonTypes = jsonModel.topicTypes.mapValues { ($0.swiftName, $0.recordName) }
                let topics = try translator.declarations(settings, file: config.path)
                // Each format's module only when one of its topics is there: a JSON-only target needs no CanonAvro.
                let jsonTopics = settings.topics.filter { translator.jsonTypes[$0.value] != nil }.count
                var imports = jsonTopics < settings.topics.count || settings.topics.isEmpty ? ["CanonAvro"] : []
                if jsonTopics > 0 { imports += ["CanonCore", "CanonJSONSchema"] }
                imports.append("Foundation")
                let swift = SwiftFile(header: header(source: config.path), imports: imports, declarations: topics)
                files.append(GeneratedFile(name: topicsFileName, contents: SwiftRenderer.render(swift)))
            } catch {
                diagnostics += error.diagnostics
            }
        }
        guard diagnostics.isEmpty else { throw CodegenError(diagnostics: diagnostics) }
        return files
    }

    /// Whether a schema file is JSON Schema (by its name: `.json`); the others are Avro.
    static func isJSONSchema(_ path: String) -> Bool { path.hasSuffix(".json") }

    static func header(source: String) -> [String] {
        ["Generated by canon-codegen from \(source). Do not edit: change the schema and build again."]
    }
}
