import ArgumentParser
import CanonCodegen
import Foundation

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate Swift types from Avro schema files (what the CanonCodegenPlugin runs on every build).",
        discussion: """
            All schema files are parsed together: a type defined in one may be used in any other. Each schema \
            file gives <path with / as _>.swift in the output directory; a config (canon-codegen.json, see \
            Schemas/canon-codegen.schema.json) adds CanonTopics.swift with a descriptor per topic.
            Example: canon generate --output-dir Generated --config Schemas/canon-codegen.json Schemas/*.avsc Schemas/*.schema.json
            """
    )
    @Option(help: ArgumentHelp("Where the Swift files go.", valueName: "dir")) var outputDir: String
    @Option(help: ArgumentHelp("canon-codegen.json: topics, access level, type names.", valueName: "file")) var config: String?
    @Option(help: ArgumentHelp("Schema paths are named relative to this directory (default: the current one).", valueName: "dir")) var root:
        String?
    @Argument(help: "The schema files (.avsc, .schema.json).") var schemas: [String]

    func run() throws {
        let base = root ?? FileManager.default.currentDirectoryPath
        let progress = ProgressLine()
        do {
            let written: [String]
            do {
                defer { progress.finish() }
                written = try CanonCodegen.generateFiles(
                    schemaPaths: schemas, configPath: config, root: base, outputDirectory: outputDir, progress: progress.update)
            }
            for path in written { Output.line(path) }
        } catch {
            throw CLIFailure.failed(error.description)
        }
    }
}
