import CanonAvro
import CanonCore
import Foundation

/// An input file: its path (relative, as it appears in messages and output names) and its text.
public struct SourceFile: Sendable, Hashable {
    public var path: String
    public var contents: String

    public init(path: String, contents: String) {
        self.path = path
        self.contents = contents
    }
}

/// One problem with the input, naming the file.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var message: String

    public init(file: String, message: String) {
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): error: \(message)" }
}

/// Every problem found in the input at once.
public struct CodegenError: Error, Sendable, Hashable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// The schema files of a target parsed together: a named type defined in one file may be used in any
/// other, in any order.
package struct SchemaSet {
    /// The table holding every type of every file.
    package var schema: AvroSchema
    /// Per file, in input order: the named types (node indexes) it defines, in definition order.
    package var definitions: [(file: SourceFile, types: [Int])]
    /// Per file path: the node index of the file's own top-level type.
    package var roots: [String: Int]

    /// Parses `files`; reports every file that fails, and every name defined in two files. No files is
    /// an empty set (a target may have JSON Schema files only); callers decide whether that is an error.
    package init(files: [SourceFile]) throws(CodegenError) {
        var diagnostics: [Diagnostic] = []
        // Names each file defines, to report a name defined twice with both files.
        var definedIn: [String: String] = [:]
        var duplicated: Set<String> = []
        for file in files {
            guard let json = try? JSONReader.parse(file.contents) else { continue }  // reported by the parser below
            for name in Self.definedNames(json, namespace: nil) {
                if let other = definedIn[name], other != file.path {
                    diagnostics.append(
                        Diagnostic(file: file.path, message: "type '\(name)' is also defined in \(other); a name may be defined once"))
                    duplicated.insert(file.path)
                } else {
                    definedIn[name] = file.path
                }
            }
        }
        var parser = AvroSchemaParser()
        var pending = files.filter { !duplicated.contains($0.path) }
        var parsed: [String: [Int]] = [:]
        var roots: [String: Int] = [:]
        var last: AvroSchema?
        var lastErrors: [String: AvroError] = [:]
        while !pending.isEmpty {
            var still: [SourceFile] = []
            for file in pending {
                let before = parser.namedTypes
                do {
                    let schema = try parser.parse(file.contents, file: file.path)
                    let added = schema.namedTypes.filter { before[$0.key] == nil }.map(\.value).sorted()
                    parsed[file.path] = added
                    roots[file.path] = schema.root
                    last = schema
                } catch  where error.code == .unknownType {
                    lastErrors[file.path] = error
                    still.append(file)
                } catch {
                    diagnostics.append(Diagnostic(file: file.path, message: Self.describe(error)))
                }
            }
            if still.count == pending.count {
                for file in still { diagnostics.append(Diagnostic(file: file.path, message: Self.describe(lastErrors[file.path]!))) }
                break
            }
            pending = still
        }
        guard diagnostics.isEmpty else {
            let order = Dictionary(uniqueKeysWithValues: files.enumerated().map { ($1.path, $0) })
            throw CodegenError(diagnostics: diagnostics.sorted { (order[$0.file] ?? 0, $0.message) < (order[$1.file] ?? 0, $1.message) })
        }
        guard let last = last ?? (files.isEmpty ? AvroSchema.generated("\"null\"") : nil) else {
            throw CodegenError(diagnostics: [Diagnostic(file: "(input)", message: "no schema files were given")])
        }
        schema = last
        definitions = files.map { ($0, parsed[$0.path] ?? []) }
        self.roots = roots
    }

    static func describe(_ error: AvroError) -> String {
        var copy = error
        copy.location.file = nil
        if copy.code == .unknownType {
            copy.message = copy.message.replacingOccurrences(
                of: " (a named type must be defined before it is used)", with: ": no schema file given defines it")
        }
        return copy.description
    }

    /// Full names of the named types a schema's JSON defines (not the ones it only refers to).
    package static func definedNames(_ json: JSONValue, namespace: String?) -> [String] {
        switch json {
        case .array(let items):
            return items.flatMap { definedNames($0, namespace: namespace) }
        case .object(let o):
            let type = o["type"]
            if let t = type?.stringValue, ["record", "error", "enum", "fixed"].contains(t), let name = o["name"]?.stringValue {
                let full: String
                var inner = namespace
                if name.contains(".") {
                    full = name
                    inner = String(name[..<name.lastIndex(of: ".")!])
                } else {
                    if let ns = o["namespace"]?.stringValue { inner = ns.isEmpty ? nil : ns }
                    full = inner.map { "\($0).\(name)" } ?? name
                }
                var names = [full]
                if case .array(let fields)? = o["fields"] {
                    for f in fields { if let ft = f["type"] { names += definedNames(ft, namespace: inner) } }
                }
                return names
            }
            var names: [String] = []
            if let type, case .string = type {} else if let type { names += definedNames(type, namespace: namespace) }
            if let items = o["items"] { names += definedNames(items, namespace: namespace) }
            if let values = o["values"] { names += definedNames(values, namespace: namespace) }
            return names
        default:
            return []
        }
    }
}
