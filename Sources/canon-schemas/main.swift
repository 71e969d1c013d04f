import ArgumentParser
import CanonSchemaSync
import Foundation

/// `canon-schemas`: the schema workflow (`check`, `register`, `pull`) on its own, light enough for the
/// `swift package canon` command plugin to build in seconds (the registry client and the Avro parser,
/// none of the server's dependencies). `canon registry check|register|pull` runs the same commands.
@main
struct CanonSchemas: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "canon-schemas",
        abstract: "Check, register and pull the schemas canon-codegen.json maps to registry subjects.",
        discussion: "Exit codes: 0 success; 1 incompatible or refused; 2 the registry cannot be reached, or unusable input.",
        subcommands: [CheckCommand.self, RegisterCommand.self, PullCommand.self])

    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? AsyncParsableCommand { try await command.run() } else { try command.run() }
        } catch let failure as SchemaSyncFailure {
            try? FileHandle.standardError.write(contentsOf: Data("canon-schemas: \(failure.message)\n".utf8))
            Foundation.exit(failure.exitCode)
        } catch {
            let code = exitCode(for: error)
            if code == .success { exit(withError: error) }
            let message = fullMessage(for: error)
            if !message.isEmpty { try? FileHandle.standardError.write(contentsOf: Data("canon-schemas: \(message)\n".utf8)) }
            Foundation.exit(code.rawValue == ExitCode.validationFailure.rawValue ? 2 : code.rawValue)
        }
    }
}
