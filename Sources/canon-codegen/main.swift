import CanonCodegen
import Foundation

// canon-codegen: generates Swift types from Avro schema files.
//
//   canon-codegen --output-dir DIR [--config canon-codegen.json] [--root DIR] SCHEMA.avsc...
//
// Paths of schema files are taken relative to --root (default: the current directory) to name the
// outputs and in messages. Every input problem is printed as `file: error: message`, and the exit
// status is 1. Outputs are written only when their contents change.

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("canon-codegen: error: \(message)\n".utf8))
    exit(2)
}

var arguments = Array(CommandLine.arguments.dropFirst())
var outputDir: String?
var configPath: String?
var root = FileManager.default.currentDirectoryPath
var schemaPaths: [String] = []
while !arguments.isEmpty {
    let a = arguments.removeFirst()
    func value() -> String {
        guard !arguments.isEmpty else { fail("\(a) needs a value") }
        return arguments.removeFirst()
    }
    switch a {
    case "--output-dir": outputDir = value()
    case "--config": configPath = value()
    case "--root": root = value()
    case "-h", "--help":
        print("usage: canon-codegen --output-dir DIR [--config canon-codegen.json] [--root DIR] SCHEMA.avsc...")
        exit(0)
    default:
        if a.hasPrefix("-") { fail("unknown option \(a)") }
        schemaPaths.append(a)
    }
}
guard let outputDir else { fail("--output-dir is required") }

func relative(_ path: String, root: String) -> String {
    let absolute = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL.path
    let base = URL(fileURLWithPath: root).standardizedFileURL.path
    return absolute.hasPrefix(base + "/") ? String(absolute.dropFirst(base.count + 1)) : (path as NSString).lastPathComponent
}

func read(_ path: String, root: String) -> SourceFile {
    do {
        return SourceFile(path: relative(path, root: root), contents: try String(contentsOfFile: path, encoding: .utf8))
    } catch {
        fail("cannot read \(path): \(error.localizedDescription)")
    }
}

let rootDir = root
let files = schemaPaths.map { read($0, root: rootDir) }
let config = configPath.map { read($0, root: rootDir) }
do {
    let generated = try CanonCodegen.generate(schemaFiles: files, config: config)
    try FileManager.default.createDirectory(atPath: outputDir, withIntermediateDirectories: true)
    for file in generated {
        let path = (outputDir as NSString).appendingPathComponent(file.name)
        let data = Data(file.contents.utf8)
        if FileManager.default.contents(atPath: path) != data {
            try data.write(to: URL(fileURLWithPath: path))
        }
    }
} catch let error as CodegenError {
    for d in error.diagnostics {
        let full = d.file.hasPrefix("/") ? d.file : (root as NSString).appendingPathComponent(d.file)
        FileHandle.standardError.write(Data("\(full): error: \(d.message)\n".utf8))
    }
    exit(1)
} catch {
    fail("\(error)")
}
