import Foundation
import PackagePlugin

/// Generates Swift types from the `.avsc` and `.schema.json` files of a target (and `canon-codegen.json` when present) on
/// every build, with `canon-codegen`.
///
/// One build command takes every schema and the config as inputs, so all schemas of the target are
/// parsed together and a type defined in one file may be used by any other. Each schema file gives one
/// output named from its path inside the target (`Schemas/Order.avsc` -> `Schemas_Order.avsc.swift`),
/// which never collides with the target's own sources; a config adds `CanonTopics.swift`.
@main
struct CanonCodegenPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        let root = target.directoryURL.standardizedFileURL.path
        func relative(_ url: URL) -> String {
            let path = url.standardizedFileURL.path
            return path.hasPrefix(root + "/") ? String(path.dropFirst(root.count + 1)) : url.lastPathComponent
        }
        let schemas = target.sourceFiles.map(\.url).filter { $0.pathExtension == "avsc" || $0.lastPathComponent.hasSuffix(".schema.json") }
            .sorted { relative($0) < relative($1) }
        let config = target.sourceFiles.map(\.url).first { $0.lastPathComponent == "canon-codegen.json" }
        guard !schemas.isEmpty || config != nil else { return [] }
        let tool = try context.tool(named: "canon-codegen")
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("CanonGenerated")
        var outputs = schemas.map { output.appendingPathComponent(relative($0).split(separator: "/").joined(separator: "_") + ".swift") }
        var arguments = ["--output-dir", output.path, "--root", root]
        if let config {
            arguments += ["--config", config.path]
            outputs.append(output.appendingPathComponent("CanonTopics.swift"))
        }
        arguments += schemas.map(\.path)
        return [
            .buildCommand(
                displayName: "Generating Swift types from \(schemas.count) schema file(s) in \(target.name)",
                executable: tool.url, arguments: arguments,
                inputFiles: [tool.url] + schemas + (config.map { [$0] } ?? []), outputFiles: outputs)
        ]
    }
}
