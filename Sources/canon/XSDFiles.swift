import CanonCore
import CanonXSD
import Foundation

/// XML Schema files for the CLI: a schema with the files it includes or imports, read from beside it.
enum XSDFiles {
    /// Parses the schema at `path`; its `schemaLocation`s are read relative to its folder. An unreadable
    /// file exits 2; an invalid schema 1.
    static func load(_ path: String) throws(CLIFailure) -> XSDParsedSchema {
        let text = try readText(path)
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            return try XSDFormat().parse(file: text) { location in
                try readText(folder.appendingPathComponent(location).path)
            }
        } catch let error as CLIFailure {
            throw error
        } catch {
            throw .failed("\(path): invalid schema: \(error)")
        }
    }

    /// What makes the schema at `path` invalid; nil when it is valid (an unreadable file exits 2).
    static func problem(_ path: String) throws(CLIFailure) -> String? {
        do {
            _ = try load(path)
            return nil
        } catch {
            if error.exitCode != 1 { throw error }
            return error.message
        }
    }
}
