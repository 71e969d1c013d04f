import CanonCodegen
import Foundation

// canon-codegen: generates Swift types from Avro (.avsc) and JSON Schema (.schema.json) files; the build
// plugin runs it.
//
//   canon-codegen --output-dir DIR [--config canon-codegen.json] [--root DIR] SCHEMA.avsc|SCHEMA.schema.json...
//
// Schema paths are named relative to --root (default: the current directory). Every input problem is
// printed as `<path>: error: <message>` (the form build logs and IDEs pick up) and the exit status is 1;
// a usage error exits 2.

func usageError(_ message: String) -> Never {
    FileHandle.standardError.write(
        Data(
            "canon-codegen: error: \(message)\nusage: canon-codegen --output-dir DIR [--config canon-codegen.json] [--root DIR] SCHEMA.avsc|SCHEMA.schema.json...\n"
                .utf8))
    exit(2)
}

var arguments = Array(CommandLine.arguments.dropFirst())
var outputDirectory: String?
var configPath: String?
var root = FileManager.default.currentDirectoryPath
var schemaPaths: [String] = []
while !arguments.isEmpty {
    let argument = arguments.removeFirst()
    func value() -> String {
        guard !arguments.isEmpty else { usageError("\(argument) needs a value") }
        return arguments.removeFirst()
    }
    switch argument {
    case "--output-dir": outputDirectory = value()
    case "--config": configPath = value()
    case "--root": root = value()
    case "-h", "--help":
        print("usage: canon-codegen --output-dir DIR [--config canon-codegen.json] [--root DIR] SCHEMA.avsc|SCHEMA.schema.json...")
        exit(0)
    default:
        if argument.hasPrefix("-") { usageError("unknown option \(argument)") }
        schemaPaths.append(argument)
    }
}
guard let outputDirectory else { usageError("--output-dir is required") }

do {
    _ = try CanonCodegen.generateFiles(schemaPaths: schemaPaths, configPath: configPath, root: root, outputDirectory: outputDirectory)
} catch {
    let base = URL(fileURLWithPath: root).standardizedFileURL.path
    for d in error.diagnostics {
        let path = d.file.hasPrefix("/") ? d.file : base + "/" + d.file
        FileHandle.standardError.write(Data("\(path): error: \(d.message)\n".utf8))
    }
    exit(1)
}
