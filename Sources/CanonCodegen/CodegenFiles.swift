import CanonCore
import Foundation

extension CanonCodegen {
    /// Reads schema files and an optional config from disk, generates, and writes the outputs into
    /// `outputDirectory` (a file is rewritten only when its contents change, so builds stay incremental).
    /// Paths are named relative to `root` in output names and messages. Returns the files written or
    /// already up to date. What `canon-codegen`, `canon generate` and the build plugin run.
    public static func generateFiles(
        schemaPaths: [String], configPath: String?, root: String, outputDirectory: String, progress: ((ProgressReport) -> Void)? = nil
    ) throws(CodegenError) -> [String] {
        let base = URL(fileURLWithPath: root).standardizedFileURL.path
        func relative(_ path: String) -> String {
            let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
            return absolute.hasPrefix(base + "/") ? String(absolute.dropFirst(base.count + 1)) : absolute
        }
        var unreadable: [Diagnostic] = []
        func read(_ path: String) -> SourceFile? {
            do {
                return SourceFile(path: relative(path), contents: try String(contentsOfFile: path, encoding: .utf8))
            } catch {
                unreadable.append(Diagnostic(file: relative(path), message: "cannot read the file: \(error.localizedDescription)"))
                return nil
            }
        }
        let schemas = schemaPaths.enumerated().compactMap { i, path in
            progress?(ProgressReport(stage: "reading", done: i, total: schemaPaths.count, unit: "files", item: relative(path)))
            return read(path)
        }
        let config = configPath.flatMap(read)
        guard unreadable.isEmpty else { throw CodegenError(diagnostics: unreadable) }
        progress?(ProgressReport(stage: "generating from", done: 0, total: schemas.count, unit: "files"))
        let generated = try generate(schemaFiles: schemas, config: config)
        var written: [String] = []
        do {
            try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
            for (i, file) in generated.enumerated() {
                progress?(ProgressReport(stage: "writing", done: i, total: generated.count, unit: "files", item: file.name))
                let path = (outputDirectory as NSString).appendingPathComponent(file.name)
                let data = Data(file.contents.utf8)
                if FileManager.default.contents(atPath: path) != data { try data.write(to: URL(fileURLWithPath: path)) }
                written.append(path)
            }
        } catch {
            throw CodegenError(diagnostics: [
                Diagnostic(file: outputDirectory, message: "cannot write the generated files: \(error.localizedDescription)")
            ])
        }
        return written
    }
}
