import Foundation
import PackagePlugin

/// `swift package canon check|register|pull …`: the package's schemas against a registry.
///
/// For each target holding a `canon-codegen.json` (test targets only when named), or the targets named
/// with `--target`, it runs `canon-schemas` (a light tool: the registry client and the Avro parser) with
/// the target's config and schema files; every other argument goes to the tool. SwiftPM ends every
/// failing plugin with exit code 1, so the last line says which failure it was: the tool's exit code 1
/// (a schema would be refused) or 2 (the registry cannot be reached, or unusable input). CI that needs
/// the distinction calls `canon registry check` (or `canon-schemas check`) directly.
@main
struct CanonSchemasPlugin: CommandPlugin {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    func performCommand(context: PluginContext, arguments: [String]) async throws {
        var extractor = ArgumentExtractor(arguments)
        let named = extractor.extractOption(named: "target")
        var rest = extractor.remainingArguments
        guard let verb = rest.first, ["check", "register", "pull"].contains(verb) else {
            throw Failure(
                description: "usage: swift package canon check|register|pull [--target NAME] [options]; see `swift run canon-schemas help`")
        }
        rest.removeFirst()
        let modules = context.package.targets.compactMap { $0 as? SourceModuleTarget }
        var targets: [SourceModuleTarget]
        if !named.isEmpty {
            targets = try named.map { name in
                guard let t = modules.first(where: { $0.name == name }) else {
                    throw Failure(description: "no source target named '\(name)'")
                }
                return t
            }
        } else {
            // The targets a config maps; test targets (whose .avsc files are fixtures) only when named.
            targets = modules.filter { $0.kind != .test && $0.sourceFiles.contains { $0.url.lastPathComponent == "canon-codegen.json" } }
            if targets.isEmpty, verb == "pull" {
                let candidates = modules.filter { $0.kind != .test }
                if candidates.count == 1 { targets = candidates }
            }
        }
        guard !targets.isEmpty else {
            throw Failure(
                description: "canon \(verb): no target has a canon-codegen.json (it maps schemas to subjects); name one with --target")
        }
        if verb == "pull", targets.count > 1 {
            throw Failure(
                description:
                    "canon pull: several targets hold schemas (\(targets.map(\.name).joined(separator: ", "))); name one with --target")
        }
        let tool = try context.tool(named: "canon-schemas")
        var worst: Int32 = 0
        for target in targets {
            let config =
                target.sourceFiles.map(\.url).first { $0.lastPathComponent == "canon-codegen.json" }
                ?? target.directoryURL.appendingPathComponent("canon-codegen.json")
            var arguments = [verb, "--config", config.path] + rest
            if verb != "pull" {
                let schemas = target.sourceFiles.map(\.url).filter { $0.pathExtension == "avsc" }.map(\.path).sorted()
                arguments += ["--"] + schemas
            }
            print("== \(target.name)")
            let process = Process()
            process.executableURL = tool.url
            process.arguments = arguments
            try process.run()
            process.waitUntilExit()
            worst = max(worst, process.terminationStatus)
        }
        let summary: String
        switch worst {
        case 0: summary = "canon \(verb): ok"
        case 1: summary = "canon \(verb): failed: a schema would be refused by the registry, or is invalid (canon-schemas exit code 1)"
        case 2:
            summary =
                "canon \(verb): failed: the registry could not be reached (or refused the credentials, or is not a registry), or the input could not be read (canon-schemas exit code 2)"
        default: summary = "canon \(verb): failed: canon-schemas ended with status \(worst)"
        }
        // The last line of the output says which case it was (SwiftPM ends every failing plugin with
        // exit code 1); SwiftPM prints the thrown error on standard error as well.
        print(summary)
        if worst != 0 { throw Failure(description: summary) }
    }
}
